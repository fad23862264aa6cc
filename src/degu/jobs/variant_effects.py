"""CAGI5 zero-shot variant effects (rules/variant_effects.smk; Fig. 6, Supp. Figs. 13-15, issue 13).

``degu.score_variants.score_locus_job`` (it needs :mod:`degu.predict`, a layer above the
jobs) scores every variant of one locus (the configured CAGI5 sets concatenated,
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

from degu.analysis.variant_effects import PREDICTION_COLUMNS, STD_COLUMNS, SUMMARY_COLUMNS  # noqa: F401 (re-exported)
from degu.errors import DeguInputError
from degu.io.atomic import atomic_path

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
    "edge",
    "window_start",
    "window_index",
)
ENSEMBLE = "ensemble"


def write_table(table: pd.DataFrame, path, sep: str = "\t") -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep=sep, index=False, lineterminator="\n")


def read_locus_variants(files: dict[str, str], locus: str, sheet: str | None = None) -> pd.DataFrame:
    """The variants of one locus: the CAGI5 file of each set (``{set: path}``), concatenated
    in the given order, with a ``set`` column. ``sheet`` (a pattern with ``{set}`` and
    ``{locus}``) names the sheet of a workbook. A variant (chrom, pos, alt) in two sets is an
    error naming both files."""
    from degu.io.variants import read_cagi5

    parts = []
    seen: dict[tuple, str] = {}
    for set_name, path in files.items():
        if not Path(path).is_file():
            raise DeguInputError(
                f"{path}: CAGI5 file of locus {locus} ({set_name} set) not found (key 'variant_effects.local_dir'; "
                "CAGI distributes these files to registered users: docs/variant-effects.md)"
            )
        t = read_cagi5(path, sheet=None if sheet is None else sheet.format(set=set_name, locus=locus))
        for key in zip(t["chrom"].astype(str), t["pos"], t["alt"], strict=True):
            if key in seen:
                raise DeguInputError(
                    f"{path}: variant {key[0]}:{key[1]} >{key[2]} of locus {locus} is also in {seen[key]}"
                )
            seen[key] = str(path)
        parts.append(t.assign(set=set_name))
    table = pd.concat(parts, ignore_index=True)
    table["id"] = ""  # filled with the authors' chr:start-end/ref>alt by score_variants
    return table


KEY = ["chrom", "pos", "ref", "alt"]


def stratifier(table: pd.DataFrame, kind: str, allele: str) -> np.ndarray:
    """The predicted uncertainty that stratifies a model's variants: ``<allele>_<kind>``; for
    ``total``, a model with one kind of uncertainty (a standard lentiMPRA model's aleatoric
    head) uses that one, since its total is all it predicts. NaN where the model has neither."""
    from degu.analysis.variant_effects import uncertainty_of

    col = f"{allele}_{kind}"
    if kind == "total" and (col not in table or not np.isfinite(table[col].to_numpy(float)).all()):
        for other in ("epistemic", "aleatoric"):
            c = f"{allele}_{other}"
            if c in table and len(table) and np.isfinite(table[c].to_numpy(float)).all():
                return np.maximum(table[c].to_numpy(float), 0.0)
        return np.full(len(table), np.nan)
    return uncertainty_of(table, kind, allele).astype(float)


def _summary_rows(
    pred: pd.DataFrame, truth: pd.DataFrame | None, kind: str, allele: str, quantiles
) -> list[dict]:
    from degu.analysis.variant_effects import correlations, stratified

    rows = []
    keys = ["locus", "cell_type", "method", "seed"]
    if truth is not None:
        pred = pred.merge(truth[[*KEY, "true_effect"]], on=KEY, how="left", validate="many_to_one")
    for key, g in pred.groupby(keys, dropna=False, sort=False):
        base = dict(zip(keys, key, strict=True))
        effect, measured = g["effect"].to_numpy(float), g["measured"].to_numpy(float)
        for metric, value in correlations(effect, measured).items():
            rows.append({**base, "quantile": 1.0, "metric": metric, "value": value})
        if truth is not None:
            c = correlations(effect, g["true_effect"].to_numpy(float))
            rows += [
                {**base, "quantile": 1.0, "metric": f"{m}_true", "value": c[m]}
                for m in ("pearson", "spearman")
            ]
        unc = stratifier(g, kind, allele)
        if len(unc) and np.isfinite(unc).all():
            for _, r in stratified(effect, measured, unc, quantiles).iterrows():
                q = float(r["quantile"])
                metrics = ("threshold",) if q == 1.0 else ("pearson", "spearman", "n", "threshold")
                rows += [{**base, "quantile": q, "metric": m, "value": r[m]} for m in metrics]
    return rows


def read_truth(path, locus: str) -> pd.DataFrame:
    """The simulator's true effect of each variant of ``locus`` (``cagi5_truth.tsv``:
    :func:`degu.assays.simulate.simulate_cagi5`)."""
    t = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    missing = {"locus", *KEY, "true_effect"} - set(t.columns)
    if missing:
        raise DeguInputError(f"{path}: no column(s) {sorted(missing)}; is it the CAGI5 simulator's truth?")
    t = t[t["locus"] == locus]
    if t.empty:
        raise DeguInputError(f"{path}: no variants of locus {locus!r}")
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
    """The three tables of the analysis (module doc) from each locus's ``{"windows",
    "predictions", "truth" (or None), "cell_type"}``."""
    from degu.analysis.variant_effects import correlations

    kind, allele = stratify["kind"], stratify["allele"]
    quantiles = sorted({float(q) for q in quantiles} | {1.0})
    preds, wins, rows = [], [], []
    for locus, e in loci.items():
        pred = pd.read_csv(e["predictions"], sep="\t", dtype={"chrom": str, "seed": "Int64"})
        win = pd.read_csv(e["windows"], sep="\t", dtype={"chrom": str})
        truth = None
        if e.get("truth"):
            truth = read_truth(e["truth"], locus)
            scored = win[win["status"] == "ok"].merge(truth[[*KEY, "true_effect"]], on=KEY, how="left")
            if scored["true_effect"].isna().any():
                raise DeguInputError(
                    f"{e['truth']}: no true effect for some scored variants of locus {locus}"
                )
            c = correlations(scored["true_effect"].to_numpy(float), scored["value"].to_numpy(float))
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
        counts = win["status"].value_counts().reindex(sorted(win["status"].unique()))
        edge_ok = int((win["status"].eq("ok") & win["edge"].astype(bool)).sum())
        wins.append(
            pd.DataFrame(
                {
                    "locus": locus,
                    "status": [*counts.index, "ok_edge_window"],
                    "n": [*counts.to_numpy(), edge_ok],
                }
            )
        )
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary["seed"] = summary["seed"].astype("Int64")
    write_table(summary, out_summary, sep=",")
    write_table(pd.concat(preds, ignore_index=True), out_predictions, sep=",")
    write_table(pd.concat(wins, ignore_index=True), out_windows, sep=",")
    return summary
