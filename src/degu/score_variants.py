"""``degu score-variants``: predicted effects of single-nucleotide variants, with uncertainty.

The same models as ``degu predict`` (:func:`degu.predict.open_models`: a bundle, an ensemble
bundle, or several bundles forming an ad hoc ensemble: mean and spread). Variants come from a
CAGI5 file (``.tsv`` or an ``.xlsx`` sheet), a VCF or a ``chrom, pos, ref, alt`` table
(:func:`degu.io.variants.read_variants`); the reference from a genome FASTA or a table of
element sequences (:mod:`degu.io.variants`).

Window: the model's input length, less its adaptors when it was trained with constant ones
(those are added around the window, as in training). By default the variant sits at index
``(seq_len - 1) // 2`` of the full model input (114 of 230 for lentiMPRA, as in the paper);
``index`` (in the full input) moves it. The reference base must equal the variant's ``Ref``,
else the variant is reported (status ``ref_mismatch``) and not scored; see
:func:`degu.io.variants.extract_windows` for every status and the edge rules.

Output (:func:`score_variants`): one row per input variant, scored or not: ``id, chrom, pos,
ref, alt, status, window_start, window_index, ref_base, edge``, then for the chosen task
``effect, ref_activity, alt_activity`` and ``ref_/alt_/effect_`` of ``epistemic``,
``aleatoric`` and ``total`` (the kinds the model has; :mod:`degu.analysis.variant_effects`),
``effect_lower<L>, effect_upper<L>`` (``L = 100 (1 - alpha)``) and, with a stored conformal
scale for the interval's kind, ``effect_lower<L>_conformal, effect_upper<L>_conformal``;
empty numbers for variants not scored; ``value, confidence`` for CAGI5 input. An empty ``id``
is filled with the CAGI5 authors' ``chr<chrom>:<start>-<end>/<ref>><alt>``, the centred window
of the full input length (``[pos - 1 - index, pos - 1 - index + seq_len)``, 0-based), whatever
the edge rule did.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.predict import DEFAULT_ALPHA, InputRules, Predictor, _level, combine, open_models

DEFAULT_BATCH_SIZE = 1000
KINDS = ("epistemic", "aleatoric", "total")
LEAD_COLUMNS = (
    "id",
    "chrom",
    "pos",
    "ref",
    "alt",
    "status",
    "window_start",
    "window_index",
    "ref_base",
    "edge",
)


def window_geometry(rules: InputRules, index: int | None = None) -> tuple[int, int, int]:
    """``(window length, variant index in the window, variant index in the full input)``.

    The window is the element part of the input when the model has adaptors. ``index`` (in
    the full input; default ``(seq_len - 1) // 2``) must fall inside the window."""
    a5 = rules.adaptors[0] if rules.adaptors else ""
    length = rules.element_len if rules.adaptors else rules.seq_len
    full = (rules.seq_len - 1) // 2 if index is None else int(index)
    if not len(a5) <= full < len(a5) + length:
        raise DeguInputError(
            f"--index {full}: the variant must sit at index {len(a5)}..{len(a5) + length - 1} of the "
            f"{rules.seq_len}-base model input"
            + (" (the rest are the model's adaptors)" if rules.adaptors else "")
        )
    return length, full - len(a5), full


def task_index(predictor: Predictor, task: str | None) -> tuple[int, str]:
    """Index and name of ``task`` (needed when the model has several)."""
    tasks = list(predictor.meta["tasks"])
    if task is None:
        if len(tasks) > 1:
            raise DeguInputError(f"--task is needed: the model has tasks {tasks}")
        return 0, tasks[0]
    if task not in tasks:
        raise DeguInputError(f"--task {task}: the model has tasks {tasks}")
    return tasks.index(task), task


def _interval_kind(predictor: Predictor, interval: str | None) -> str | None:
    kinds = predictor.kinds
    if interval is None:
        return "total" if "total" in kinds else (kinds[0] if kinds else None)
    if interval not in kinds:
        raise DeguInputError(
            f"--interval {interval}: the model gives no {interval} uncertainty "
            f"(it gives: {', '.join(kinds) or 'none'}; heads {predictor.metas[0]['heads']})"
        )
    return interval


def _check_n(seqs: list[str], table: pd.DataFrame, rows: np.ndarray, n_policy: str) -> None:
    if n_policy != "error":
        return
    for k, seq in enumerate(seqs):
        at = seq.find("N")
        if at >= 0:
            r = table.iloc[rows[k]]
            raise DeguInputError(
                f"variant {r['chrom']}:{r['pos']} {r['ref']}>{r['alt']} (input line {r.get('line', '?')}): "
                f"its window has an N at position {at + 1} and the model rejects N (n_policy 'error')"
            )


def predict_windows(
    predictor: Predictor, seqs: list[str], rules: InputRules, batch_size: int, bar=None
) -> list[np.ndarray]:
    """Every model's raw outputs (float32, (N, K)) for the windows ``seqs`` with the model's
    adaptors added, predicted in batches of ``batch_size``."""
    from degu.io.encoding import one_hot
    from degu.models.heads import HeadLayout

    a5, a3 = rules.adaptors or ("", "")
    outputs: list[list[np.ndarray]] = [[] for _ in predictor.models]
    if seqs:
        from degu.models.training import predict

        for lo in range(0, len(seqs), batch_size):
            x = one_hot([a5 + s + a3 for s in seqs[lo : lo + batch_size]], n_policy=rules.n_policy)
            for out, model in zip(outputs, predictor.models, strict=True):
                out.append(predict(model, x, batch_size))
            if bar is not None:
                bar.update(len(x))
    return [
        np.concatenate(o)
        if o
        else np.zeros((0, HeadLayout(tuple(m["heads"]), tuple(m["tasks"])).width), np.float32)
        for o, m in zip(outputs, predictor.metas, strict=True)
    ]


def score_variants(
    predictor: Predictor,
    variants: pd.DataFrame,
    reference,
    *,
    element: str | None = None,
    edge: str = "shift",
    index: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    task: str | None = None,
    progress: bool | None = None,
    interval: str | None = None,
    alpha: float | None = None,
) -> pd.DataFrame:
    """The output table of the module doc for ``variants`` (:func:`degu.io.variants.read_variants`
    columns) against ``reference`` (``GenomeReference`` or ``ElementReference``; ``element``
    names the element of the latter).

    ``index``: the variant's index in the full model input. ``interval``: the std the effect's
    interval uses (default ``total`` when the model has both kinds). ``alpha``: default the
    one the bundle's conformal scale was calibrated at, else 0.05; another ``alpha`` drops the
    conformal bounds. ``progress``: a progress bar on standard error (None: only on a
    terminal). ``df.attrs`` holds ``task``, ``interval``, ``alpha``, ``conformal_scale``,
    ``length``, ``index`` (in the window) and ``counts`` (variants per status)."""
    from tqdm import tqdm

    from degu.analysis.variant_effects import effect_columns, effect_interval
    from degu.io.variants import count_statuses, extract_windows, variant_id

    if batch_size < 1:
        raise DeguInputError(f"--batch-size must be at least 1, got {batch_size}")
    rules = InputRules.of(predictor.meta)
    length, w_index, full_index = window_geometry(rules, index)
    t_index, t_name = task_index(predictor, task)
    kind = _interval_kind(predictor, interval)
    conformal = predictor.conformal
    stored_alpha = float(conformal["alpha"]) if conformal else None
    if alpha is None:
        alpha = stored_alpha if stored_alpha is not None else DEFAULT_ALPHA
    if not 0.0 < float(alpha) < 1.0:
        raise DeguInputError(f"--alpha {alpha}: must be between 0 and 1")
    alpha = float(alpha)
    scale = None
    if (
        conformal is not None
        and kind is not None
        and stored_alpha is not None
        and np.isclose(alpha, stored_alpha)
    ):
        scale = conformal.get("scale", {}).get(kind)

    ref_seqs, alt_seqs, table = extract_windows(
        variants, reference, length=length, index=w_index, element=element, edge=edge
    )
    rows = np.flatnonzero((table["status"] == "ok").to_numpy())
    _check_n(ref_seqs, table, rows, rules.n_policy)
    with tqdm(
        total=2 * len(rows),
        unit="seq",
        desc="degu score-variants",
        disable=(not progress) if progress is not None else None,
        file=sys.stderr,
    ) as bar:
        est_ref = combine(predict_windows(predictor, ref_seqs, rules, batch_size, bar), predictor.metas)
        est_alt = combine(predict_windows(predictor, alt_seqs, rules, batch_size, bar), predictor.metas)
    cols = effect_columns(est_ref, est_alt, t_index)
    has = [k for k in ("epistemic", "aleatoric") if k in est_ref]
    kinds = has + (["total"] if len(has) == 2 else [])
    numbers = {
        "effect": cols["effect"],
        "ref_activity": cols["ref_activity"],
        "alt_activity": cols["alt_activity"],
    }
    for k in kinds:
        for allele in ("ref", "alt", "effect"):
            numbers[f"{allele}_{k}"] = cols[f"{allele}_{k}"]
    if kind is not None:
        level = _level(alpha)
        bounds = effect_interval(cols["effect"], cols[f"effect_{kind}"], alpha, scale)
        numbers[f"effect_lower{level}"], numbers[f"effect_upper{level}"] = bounds.lower, bounds.upper
        if scale is not None:
            numbers[f"effect_lower{level}_conformal"] = bounds.lower_conformal
            numbers[f"effect_upper{level}_conformal"] = bounds.upper_conformal

    out = table.reset_index(drop=True)
    ids = out["id"].astype(str) if "id" in out else pd.Series([""] * len(out))
    empty = (ids == "").to_numpy()
    if empty.any():
        starts = out["pos"].to_numpy(dtype=np.int64) - 1 - full_index
        chrom, ref, alt = (out[c].astype(str).to_numpy() for c in ("chrom", "ref", "alt"))
        ids = ids.to_numpy(dtype=object)
        for i in np.flatnonzero(empty):
            ids[i] = variant_id(chrom[i], starts[i], starts[i] + rules.seq_len, ref[i], alt[i])
    out["id"] = ids
    result = out[list(LEAD_COLUMNS)].copy()
    for name, values in numbers.items():
        full = np.full(len(out), np.nan)
        full[rows] = values
        result[name] = full
    for extra in ("value", "confidence"):
        if extra in out:
            result[extra] = out[extra].to_numpy()
    result.attrs.update(
        task=t_name,
        interval=kind,
        alpha=alpha,
        conformal_scale=scale,
        length=length,
        index=w_index,
        counts=count_statuses(table),
    )
    return result


def open_reference(fasta=None, elements=None):
    """A ``GenomeReference`` (``fasta``) or an ``ElementReference`` (``elements``): exactly one."""
    from degu.io.variants import ElementReference, GenomeReference

    if (fasta is None) == (elements is None):
        raise DeguInputError(
            "give one reference: --fasta (a genome) or --elements (a table of element sequences)"
        )
    return GenomeReference(fasta) if fasta is not None else ElementReference(elements)


def score_file(
    models: list,
    variants_path,
    out=None,
    *,
    sheet: str | None = None,
    fasta=None,
    elements=None,
    element: str | None = None,
    edge: str = "shift",
    index: int | None = None,
    task: str | None = None,
    interval: str | None = None,
    alpha: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    threads: int | None = None,
    progress: bool | None = None,
) -> dict:
    """Read the variants and the reference, score (:func:`score_variants`) and write the table
    to ``out`` (tab-separated, comma-separated for ``.csv``; standard output when None),
    atomically. The variants and the reference are read before the models are loaded. Returns a summary
    (n, counts, task, interval, alpha, conformal scale, notes)."""
    from degu.io.variants import read_variants

    variants = read_variants(variants_path, sheet)
    reference = open_reference(fasta, elements)
    try:
        reference.check_element(element)
        from degu.runtime import setup_tensorflow

        setup_tensorflow(None, threads=threads, deterministic=True)
        predictor = open_models(models)
        table = score_variants(
            predictor,
            variants,
            reference,
            element=element,
            edge=edge,
            index=index,
            batch_size=batch_size,
            task=task,
            progress=progress,
            interval=interval,
            alpha=alpha,
        )
    finally:
        reference.close()
    sep = "," if out is not None and Path(out).suffix == ".csv" else "\t"
    if out is None:
        table.to_csv(sys.stdout, sep=sep, index=False, lineterminator="\n")
    else:
        from degu.io.atomic import atomic_path

        with atomic_path(out) as tmp:
            table.to_csv(tmp, sep=sep, index=False, lineterminator="\n")
    notes = list(predictor.notes)
    if table.attrs["interval"] is not None and table.attrs["conformal_scale"] is None:
        if predictor.conformal is None and not predictor.is_ensemble:
            notes.append("no conformal scale in the bundle (calibration has not run for it)")
        elif predictor.conformal is not None:
            notes.append(
                f"no conformal bounds: the bundle's scale is for alpha {predictor.conformal['alpha']} "
                f"and the {table.attrs['interval']} std"
            )
    return {
        "n": len(table),
        **{k: table.attrs[k] for k in ("counts", "task", "interval", "alpha", "conformal_scale")},
        "notes": notes,
    }


def summary_lines(summary: dict, out) -> list[str]:
    """What ``degu score-variants`` prints on standard error."""
    counts = summary["counts"]
    where = out or "standard output"
    parts = ", ".join(f"{k} {v}" for k, v in counts.items() if v or k == "ok")
    lines = [f"degu score-variants: {summary['n']} variants -> {where} ({parts}; task {summary['task']})"]
    lines.append(
        f"degu score-variants: {counts['ref_mismatch']} reference-allele mismatches (listed in the status column)"
    )
    if summary["interval"] is not None:
        how = f"{100 * (1 - summary['alpha']):g}% effect interval from the {summary['interval']} std"
        if summary["conformal_scale"] is not None:
            how += f"; conformal scale {summary['conformal_scale']:.4g}"
        lines.append(f"degu score-variants: {how}")
    lines += [f"degu score-variants: note: {n}" for n in summary["notes"]]
    return lines


# ---------------------------------------------------------------- the pipeline's job


def score_locus_job(
    *,
    locus: str,
    cell_type: str,
    variant_files: dict[str, str],
    sheet: str | None,
    reference: dict,
    element: str | None,
    edge: str,
    index: int | None,
    models: dict[str, dict[int, str]],
    ensemble: list[str],
    out_windows,
    out_predictions,
    batch_size: int = DEFAULT_BATCH_SIZE,
    threads: int | None = None,
) -> dict[str, int]:
    """rules/variant_effects.smk, ``score_variants``: every variant of one CAGI5 locus
    (:func:`degu.jobs.variant_effects.read_locus_variants`) scored by :func:`score_variants` with
    each model (``{method: {seed: model directory}}``) and with the ensemble of ``ensemble``
    (the standard models' directories: mean and spread). Writes the locus's ``windows.tsv``
    and ``predictions.tsv`` (:mod:`degu.jobs.variant_effects`); returns the status counts."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=True)
    from degu.jobs.variant_effects import (
        ENSEMBLE,
        PREDICTION_COLUMNS,
        STD_COLUMNS,
        WINDOW_COLUMNS,
        read_locus_variants,
        write_table,
    )

    variants = read_locus_variants(variant_files, locus, sheet)
    kind = reference["kind"]
    if kind not in ("genome", "elements"):
        raise DeguInputError(f"variant_effects.reference.kind must be genome or elements, got {kind!r}")
    ref = open_reference(**{"fasta" if kind == "genome" else "elements": reference["path"]})
    runs = [(m, s, [p]) for m, by_seed in models.items() for s, p in by_seed.items()]
    if ensemble:
        runs.append((ENSEMBLE, None, list(ensemble)))
    first_pos = int(variants["pos"].min())
    tables, windows = [], None
    for method, seed, paths in runs:
        scored = score_variants(
            open_models(paths), variants, ref, element=element, edge=edge, index=index, batch_size=batch_size
        )
        if windows is None:
            windows = scored
        elif not scored["status"].equals(windows["status"]):  # same geometry for every model
            raise DeguInputError(f"{paths[0]}: its input length or adaptors differ from {runs[0][2][0]}")
        ok = (scored["status"] == "ok").to_numpy()
        if not ok.any():  # a wrong genome build or element table: fail, not an empty result
            raise DeguInputError(
                f"{reference['path']}: no variant of locus {locus} could be scored ("
                + ", ".join(f"{k} {v}" for k, v in scored.attrs["counts"].items() if v)
                + "); is it the reference the variants' coordinates refer to?"
            )
        table = pd.DataFrame(
            {
                "locus": locus,
                "cell_type": cell_type,
                "method": method,
                "seed": seed,
                "variant": scored["id"].to_numpy()[ok],
                "chrom": scored["chrom"].to_numpy()[ok],
                "pos": scored["pos"].to_numpy()[ok],
                "ref": scored["ref"].to_numpy()[ok],
                "alt": scored["alt"].to_numpy()[ok],
                "position": scored["pos"].to_numpy()[ok] - first_pos,
                "measured": variants["value"].to_numpy()[ok],
            }
        )
        for col in ("effect", "ref_activity", "alt_activity", *STD_COLUMNS):
            table[col] = scored[col].to_numpy(dtype=float)[ok] if col in scored else np.nan
        tables.append(table)
        print(f"{locus}: {method} seed {seed}: {ok.sum()} variants scored")
    win = pd.DataFrame(
        {
            "locus": locus,
            "set": variants["set"].to_numpy(),
            "variant": windows["id"].to_numpy(),
            "chrom": variants["chrom"].to_numpy(),
            "pos": variants["pos"].to_numpy(),
            "ref": variants["ref"].to_numpy(),
            "alt": variants["alt"].to_numpy(),
            "value": variants["value"].to_numpy(),
            "status": windows["status"].to_numpy(),
            "edge": windows["edge"].to_numpy(),
            "window_start": windows["window_start"].to_numpy(),
            "window_index": windows["window_index"].to_numpy(),
        }
    )[list(WINDOW_COLUMNS)]
    preds = pd.concat(tables, ignore_index=True)[list(PREDICTION_COLUMNS)]
    preds["seed"] = preds["seed"].astype("Int64")
    write_table(win, out_windows)
    write_table(preds, out_predictions)
    counts = windows.attrs["counts"]
    print(f"{locus}: {len(variants)} variants; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
