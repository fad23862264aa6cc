"""Uncertainty calibration (rules/calibration.smk): interval coverage and size of every method
and uncertainty kind, before and after conformal scaling."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.jobs._common import cal_split, conformal_split
from degu.uq.calibration import SIGMA_FLOOR, method_estimates


def _ground_truth(path, reverse_pattern: str | None = None) -> pd.DataFrame | None:
    """The simulator's ground truth, indexed by the normalised record name ("X_Reversed_0" in
    Table 3 and "X_Reversed" in Table 4 are the same record); None without one."""
    if path is None:
        return None
    from degu.io.lentimpra import DEFAULT_REVERSE_PATTERN, normalised_name

    gt = pd.read_csv(path, sep="\t")
    if not {"name", "y_clean", "noise_sd", "n_replicates"} <= set(gt.columns):
        return None
    pattern = reverse_pattern or DEFAULT_REVERSE_PATTERN
    gt.index = [normalised_name(n, pattern) for n in gt["name"]]
    gt.attrs.update(path=str(path), pattern=pattern)
    return gt


def _truth_for(gt: pd.DataFrame, ids: np.ndarray) -> dict[str, np.ndarray]:
    """True clean activity and noise std of the replicate mean of the records ``ids``."""
    from degu.io.lentimpra import normalised_name

    rows = gt.reindex([normalised_name(n, gt.attrs["pattern"]) for n in ids])
    missing = np.asarray(ids)[rows["y_clean"].isna().to_numpy()]
    if len(missing):
        raise DeguInputError(f"{gt.attrs['path']}: no ground truth for records {list(missing[:3])}")
    return {
        "mean": rows["y_clean"].to_numpy(np.float64),
        "sigma_mean": (rows["noise_sd"] / np.sqrt(rows["n_replicates"])).to_numpy(np.float64),
        "noise_sd": rows["noise_sd"].to_numpy(np.float64),
    }


CALIBRATION_COLUMNS = [
    "dataset",
    "method",
    "seed",
    "kind",
    "n_cal",
    "n_test",
    "pearson",
    "coverage",
    "interval_width",
    "conformal_scale",
    "coverage_conformal",
    "interval_width_conformal",
    "n_nonpositive_sigma",
    "pearson_sigma_vs_true_noise",
]


# Added when the dataset has a Cal split: the conformal scale calibrated on the validation
# (early-stopping) split instead, for comparison, applied to the same test set.
CALIBRATION_VAL_COLUMNS = [
    "n_val",
    "conformal_scale_val",
    "coverage_conformal_val",
    "interval_width_conformal_val",
]


def calibration_job(
    *,
    dataset: str,
    dataset_h5,
    models: list[dict],
    out_csv,
    alpha: float = 0.05,
    ground_truth=None,
    reverse_pattern: str | None = None,
) -> pd.DataFrame:
    """Interval coverage and size before/after conformal calibration for every method.

    ``models`` items: ``{"method", "seed" (or None), "path"}``; ``path`` is a predictions
    file of a trained model (``Val/pred``, ``Test/pred`` (, ``Cal/pred``)), an MC-dropout file
    or an ensemble labels file (``{Val,Test(,Cal)}/{mean,std(,aleatoric)}``). Evaluation uses
    the test split. Calibration uses the validation split (paper Methods), which also
    early-stopped the models; when the dataset has a disjoint ``Cal`` split
    (``uncertainty.calibration_split``) the conformal columns are calibrated on ``Cal``
    instead and the ``*_val`` columns (:data:`CALIBRATION_VAL_COLUMNS`) give the
    validation-calibrated values for comparison. With ``ground_truth`` (simulated data) a
    ``truth`` row uses the true clean activity and the true noise std of the replicate
    mean: its coverage must be ~95% without any calibration.
    """
    from scipy import stats

    from degu.io.atomic import atomic_path
    from degu.uq.calibration import calibration_rows

    has_cal = hdf5.has_split(dataset_h5, hdf5.CAL)
    splits = ("Val", "Test", *cal_split(dataset_h5))
    calibrate_on = conformal_split(dataset_h5)
    y = {s: hdf5.read_arrays(dataset_h5, [f"{s}/y"])[f"{s}/y"][:, 0].astype(np.float64) for s in splits}
    gt = _ground_truth(ground_truth, reverse_pattern)
    truth = None
    if gt is not None:
        ids = hdf5.read_arrays(dataset_h5, [f"{s}/ids" for s in splits])
        truth = {s: _truth_for(gt, ids[f"{s}/ids"]) for s in splits}
    rows = []

    def add(method, seed, est):
        for kind in ("epistemic", "aleatoric", "total"):
            if kind not in est["Test"]:
                continue
            sig = {s: est[s][kind] for s in splits}
            nonpos = int(sum((v <= 0).sum() for v in sig.values()))
            sig = {s: np.maximum(v, SIGMA_FLOOR) for s, v in sig.items()}
            r, rv = (
                calibration_rows(
                    y["Test"], est["Test"]["mean"], sig["Test"], y[c], est[c]["mean"], sig[c], alpha
                )
                for c in (calibrate_on, "Val")
            )
            extra = {}
            if has_cal:
                extra = {"n_val": len(y["Val"]), **{f"{k}_val": v for k, v in rv.items() if "conformal" in k}}
            rows.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "seed": seed,
                    "kind": kind,
                    "n_cal": len(y[calibrate_on]),
                    "n_test": len(y["Test"]),
                    "pearson": float(stats.pearsonr(y["Test"], est["Test"]["mean"])[0]),
                    **r,
                    "n_nonpositive_sigma": nonpos,
                    "pearson_sigma_vs_true_noise": (
                        float(stats.pearsonr(sig["Test"], truth["Test"]["noise_sd"])[0])
                        if truth is not None and np.ptp(sig["Test"]) > 0
                        else np.nan
                    ),
                    **extra,
                }
            )

    for m in models:
        arrays = hdf5.read_arrays(m["path"])
        attrs = hdf5.read_attrs(m["path"])
        heads = json.loads(attrs["heads"]) if "heads" in attrs else None
        if has_cal and not any(k.startswith(f"{hdf5.CAL}/") for k in arrays):
            raise DeguInputError(
                f"{m['path']}: no {hdf5.CAL} predictions but {dataset_h5} has a {hdf5.CAL} split "
                "(made before uncertainty.calibration_split was set; rerun it)"
            )
        try:
            add(m["method"], m.get("seed"), method_estimates(m["method"], arrays, heads))
        except ValueError as exc:  # e.g. NaN predictions of a diverged model
            raise DeguInputError(f"{m['path']} ({m['method']}, seed {m.get('seed')}): {exc}") from exc
    if truth is not None:
        add("truth", None, {s: {"mean": t["mean"], "aleatoric": t["sigma_mean"]} for s, t in truth.items()})
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS + (CALIBRATION_VAL_COLUMNS if has_cal else []))
    table["seed"] = table["seed"].astype("Int64")
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)
    return table
