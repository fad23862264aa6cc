"""CAGI5 zero-shot variant effects (rules/variant_effects.smk; Fig. 6, Supp. Figs. 13-15, issue 13).

``score_locus_job`` scores every variant of one locus (the configured CAGI5 sets concatenated,
as the authors did) with every model of the locus's cell type: the standard models, the DEGU
students, the students distilled with dynamic augmentations and the ensemble of the standard
models. Windows, the reference check and the effects come from
:func:`degu.score_variants.score_variants`, the function behind ``degu score-variants``, so
the pipeline and the command give the same numbers. It writes

* ``variants/<locus>/windows.tsv``: every input variant with its set, measured value, window
  status (``ok``, ``ref_mismatch``, ...), window start and the variant's index in the window;
* ``variants/<locus>/predictions.tsv``: one row per model x scored variant (the columns of
  :data:`PREDICTION_COLUMNS`).

``variant_effects_metrics_job`` gathers the loci into ``metrics/variant_predictions.csv``
(the rows above), ``metrics/variant_windows.csv`` (``locus, status, n``: how many variants
each reference check and edge rule affected) and the tidy summary
``metrics/variant_effects.csv`` (``locus, cell_type, method, seed, quantile, metric,
value``): Pearson, Spearman and n of the predicted against the measured effect over all
scored variants (``quantile`` 1.0) and over the variants whose predicted uncertainty (kind and
allele from config; :func:`degu.analysis.variant_effects.uncertainty_of`) is at or below each
quantile of it (with its ``threshold``). On simulated loci it adds the correlation with the
noiseless true effect (``pearson_true``, ``spearman_true``) and the ``ceiling``: the true
against the measured effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path

#: per-model x variant columns of predictions.tsv / metrics/variant_predictions.csv
STD_COLUMNS = (
    "ref_epistemic",
    "alt_epistemic",
    "ref_aleatoric",
    "alt_aleatoric",
    "ref_total",
    "alt_total",
    "effect_epistemic",
    "effect_aleatoric",
    "effect_total",
)
PREDICTION_COLUMNS = (
    "locus",
    "cell_type",
    "method",
    "seed",
    "variant",
    "chrom",
    "pos",
    "ref",
    "alt",
    "position",
    "measured",
    "effect",
    "ref_activity",
    "alt_activity",
    *STD_COLUMNS,
)
WINDOW_COLUMNS = (
    "locus",
    "set",
    "variant",
    "chrom",
    "pos",
    "ref",
    "alt",
    "value",
    "status",
    "window_start",
    "window_index",
)
SUMMARY_COLUMNS = ("locus", "cell_type", "method", "seed", "quantile", "metric", "value")
ENSEMBLE = "ensemble"


def _write_tsv(table: pd.DataFrame, path, sep: str = "\t") -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=sep, index=False, lineterminator="\n", float_format="%.6g")


def read_locus_variants(files: dict[str, str], locus: str, sheet: str | None = None) -> pd.DataFrame:
    """The variants of one locus: the CAGI5 file of each set (``{set: path}``), concatenated
    in the given order, with a ``set`` column. ``sheet`` (a pattern with ``{set}`` and
    ``{locus}``) names the sheet of a workbook. A variant (chrom, pos, alt) in two sets is an
    error naming both files."""
    from degu.io.variants import read_cagi5

    parts = []
    seen: dict[tuple, str] = {}
    for set_name, path in files.items():
        t = read_cagi5(path, sheet=None if sheet is None else sheet.format(set=set_name, locus=locus))
        for key in zip(t["chrom"].astype(str), t["pos"], t["alt"], strict=True):
            if key in seen:
                raise DeguInputError(
                    f"{path}: variant {key[0]}:{key[1]} >{key[2]} of locus {locus} is also in {seen[key]}"
                )
            seen[key] = str(path)
        parts.append(t.assign(set=set_name))
    table = pd.concat(parts, ignore_index=True)
    table["id"] = [
        f"{c if str(c).startswith('chr') else 'chr' + str(c)}:{p}:{r}>{a}"
        for c, p, r, a in zip(table["chrom"], table["pos"], table["ref"], table["alt"], strict=True)
    ]
    return table


def open_reference(kind: str, path):
    from degu.io.variants import ElementReference, GenomeReference

    if kind == "genome":
        return GenomeReference(path)
    if kind == "elements":
        return ElementReference(path)
    raise DeguInputError(f"reference kind must be 'genome' or 'elements', got {kind!r}")


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
    batch_size: int = 1000,
    threads: int | None = None,
) -> dict[str, int]:
    """Score one locus with every model (``{method: {seed: model directory}}``) and the
    ensemble of ``ensemble`` (model directories; empty: none). Returns the window status counts."""
    from degu.runtime import setup_tensorflow

    setup_tensorflow(0, threads=threads, deterministic=True)
    from degu.io.variants import count_statuses
    from degu.predict import open_models
    from degu.score_variants import score_variants

    variants = read_locus_variants(variant_files, locus, sheet)
    ref = open_reference(reference["kind"], reference["path"])
    runs = [(method, seed, [path]) for method, by_seed in models.items() for seed, path in by_seed.items()]
    if ensemble:
        runs.append((ENSEMBLE, None, list(ensemble)))
    rows, windows = [], None
    first_pos = int(variants["pos"].min())
    for method, seed, paths in runs:
        scored = score_variants(
            open_models(paths), variants, ref, element=element, edge=edge, index=index, batch_size=batch_size
        )
        if windows is None:
            windows = scored
        ok = scored["status"].to_numpy() == "ok"
        table = pd.DataFrame(
            {
                "locus": locus,
                "cell_type": cell_type,
                "method": method,
                "seed": seed,
                "variant": scored["id"][ok].to_numpy(),
                "chrom": scored["chrom"][ok].to_numpy(),
                "pos": scored["pos"][ok].to_numpy(),
                "ref": scored["ref"][ok].to_numpy(),
                "alt": scored["alt"][ok].to_numpy(),
                "position": scored["pos"][ok].to_numpy() - first_pos,
                "measured": variants["value"].to_numpy()[ok],
            }
        )
        for col in ("effect", "ref_activity", "alt_activity", *STD_COLUMNS):
            table[col] = scored[col][ok].to_numpy(dtype=float) if col in scored else np.nan
        rows.append(table)
    win = pd.DataFrame(
        {
            "locus": locus,
            "set": variants["set"],
            "variant": variants["id"],
            "chrom": variants["chrom"],
            "pos": variants["pos"],
            "ref": variants["ref"],
            "alt": variants["alt"],
            "value": variants["value"],
            "status": windows["status"].to_numpy(),
            "window_start": windows["window_start"].to_numpy(),
            "window_index": windows["window_index"].to_numpy(),
        }
    )
    _write_tsv(win, out_windows)
    _write_tsv(pd.concat(rows, ignore_index=True)[list(PREDICTION_COLUMNS)], out_predictions)
    counts = count_statuses(windows)
    print(f"{locus}: {len(variants)} variants; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _summary_rows(
    pred: pd.DataFrame, truth: pd.Series | None, kind: str, allele: str, quantiles
) -> list[dict]:
    from degu.analysis.variant_effects import correlations, stratified, uncertainty_of

    rows = []
    keys = ["locus", "cell_type", "method", "seed"]
    for key, g in pred.groupby(keys, dropna=False, sort=False):
        base = dict(zip(keys, key, strict=True))
        effect, measured = g["effect"].to_numpy(float), g["measured"].to_numpy(float)
        for metric, value in correlations(effect, measured).items():
            rows.append({**base, "quantile": 1.0, "metric": metric, "value": value})
        if truth is not None:
            true = truth.reindex(g["variant"]).to_numpy(float)
            c = correlations(effect, true)
            rows += [
                {**base, "quantile": 1.0, "metric": f"{m}_true", "value": c[m]}
                for m in ("pearson", "spearman")
            ]
        unc = uncertainty_of(g, kind, allele).astype(float)
        if np.isfinite(unc).all():
            strat = stratified(effect, measured, unc, quantiles)
            for _, r in strat.iterrows():
                if float(r["quantile"]) == 1.0:
                    rows.append({**base, "quantile": 1.0, "metric": "threshold", "value": r["threshold"]})
                    continue
                rows += [
                    {**base, "quantile": float(r["quantile"]), "metric": m, "value": r[m]}
                    for m in ("pearson", "spearman", "n", "threshold")
                ]
    return rows


def read_truth(path, locus: str) -> pd.DataFrame:
    """The simulator's true effect of each variant of ``locus`` (``cagi5_truth.tsv``), indexed
    by the pipeline's variant id."""
    t = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    missing = {"locus", "chrom", "pos", "ref", "alt", "true_effect", "measured"} - set(t.columns)
    if missing:
        raise DeguInputError(f"{path}: no column(s) {sorted(missing)}; is it the CAGI5 simulator's truth?")
    t = t[t["locus"] == locus]
    if t.empty:
        raise DeguInputError(f"{path}: no variants of locus {locus!r}")
    t.index = [
        f"chr{c}:{p}:{r}>{a}" for c, p, r, a in zip(t["chrom"], t["pos"], t["ref"], t["alt"], strict=True)
    ]
    return t


def variant_effects_metrics_job(
    *,
    loci: dict[str, dict],
    stratify: dict,
    quantiles: list[float],
    out_summary,
    out_predictions,
    out_windows,
) -> pd.DataFrame:
    """The three tables of the analysis from each locus's ``{"windows", "predictions",
    "truth" (or None), "cell_type"}`` files."""
    kind, allele = stratify["kind"], stratify["allele"]
    quantiles = sorted({float(q) for q in quantiles} | {1.0})
    preds, wins, rows = [], [], []
    for locus, e in loci.items():
        pred = pd.read_csv(e["predictions"], sep="\t", dtype={"chrom": str})
        win = pd.read_csv(e["windows"], sep="\t", dtype={"chrom": str})
        truth = None
        if e.get("truth"):
            t = read_truth(e["truth"], locus)
            truth = t["true_effect"]
            scored = win[win["status"] == "ok"]
            tt = t.reindex(scored["variant"])
            if tt["true_effect"].isna().any():
                raise DeguInputError(f"{e['truth']}: no true effect for some variants of locus {locus}")
            from degu.analysis.variant_effects import correlations

            c = correlations(tt["true_effect"].to_numpy(float), scored["value"].to_numpy(float))
            base = {
                "locus": locus,
                "cell_type": e["cell_type"],
                "method": "ceiling",
                "seed": None,
                "quantile": 1.0,
            }
            rows += [{**base, "metric": m, "value": c[m]} for m in ("pearson", "spearman", "n")]
        rows += _summary_rows(pred, truth, kind, allele, quantiles)
        preds.append(pred)
        counts = win["status"].value_counts()
        wins.append(
            pd.DataFrame(
                {
                    "locus": locus,
                    "status": counts.index,
                    "n": counts.to_numpy(),
                }
            )
        )
        edge = int(
            (win["status"].eq("ok") & (win["window_index"] != win["window_index"].mode().iloc[0])).sum()
        )
        wins.append(pd.DataFrame({"locus": [locus], "status": ["ok_window_shifted"], "n": [edge]}))
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary["seed"] = summary["seed"].astype("Int64")
    _write_tsv(summary, out_summary, sep=",")
    _write_tsv(pd.concat(preds, ignore_index=True), out_predictions, sep=",")
    _write_tsv(pd.concat(wins, ignore_index=True), out_windows, sep=",")
    return summary
