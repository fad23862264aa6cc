"""Model bundles (rules/bundle.smk): ``model.keras`` + ``degu.json`` of every calibrated
model and of its teacher ensemble (:mod:`degu.models.bundle`, docs/predict.md)."""

from __future__ import annotations

import logging
from pathlib import Path

from degu.io import hdf5
from degu.jobs._common import conformal_split
from degu.models.bundle import (
    ENSEMBLE_NAME,
    conformal_entry,
    constant_flanks,
    model_metadata,
    write_bundle,
    write_ensemble,
)
from degu.models.heads import STD_HEADS, prediction_layout

log = logging.getLogger("degu")


def bundle_job(
    *,
    dataset: str,
    dataset_h5,
    architecture: str,
    model_params: dict,
    models: list[dict],
    ensemble_members: list[str],
    calibration_csv,
    alpha: float,
    out_dir,
    run: str | None = None,
) -> list[Path]:
    """Bundles of one calibrated dataset: one per trained model and one ensemble bundle.

    ``models`` items: ``{"name", "model", "predictions"}`` (the bundle directory name, the
    ``.keras`` file and its ``predictions.h5``); ``ensemble_members``: the names among them
    that form the ensemble of the calibration analysis (the standard teachers). Writes
    ``out_dir/<name>/{model.keras,degu.json}`` and ``out_dir/ensemble/degu.json``, each with
    the conformal scales that ``calibration_csv`` holds for it. No TensorFlow.
    """
    import pandas as pd

    out_dir = Path(out_dir)
    table = pd.read_csv(calibration_csv)
    split = conformal_split(dataset_h5)
    flanks = constant_flanks(dataset_h5)
    written, metas = [], {}
    for m in models:
        attrs = hdf5.read_attrs(m["predictions"])
        conformal = None
        # a model that predicts no uncertainty (a standard model without an aleatoric head) has
        # no interval, so the calibration analysis has no row for it
        if set(prediction_layout(attrs).heads) & set(STD_HEADS):
            conformal = conformal_entry(
                table,
                calibration_csv,
                dataset=dataset,
                method=str(attrs["method"]),
                seed=int(attrs["seed"]),
                alpha=alpha,
                split=split,
            )
        meta = model_metadata(
            model_path=m["model"],
            predictions_h5=m["predictions"],
            dataset_h5=dataset_h5,
            dataset=dataset,
            architecture=architecture,
            model_params=model_params,
            run=run,
            conformal=conformal,
            adaptors=flanks,
        )
        written.append(write_bundle(out_dir / m["name"], m["model"], meta))
        metas[m["name"]] = meta
    unknown = [n for n in ensemble_members if n not in metas]
    if unknown:
        raise ValueError(f"ensemble members {unknown} are not among the bundled models {list(metas)}")
    ens_conformal = conformal_entry(
        table, calibration_csv, dataset=dataset, method="ensemble", seed=None, alpha=alpha, split=split
    )
    members = [out_dir / n for n in ensemble_members]
    written.append(write_ensemble(out_dir / ENSEMBLE_NAME, members, run=run, conformal=ens_conformal))
    log.info("%s: %d bundles in %s (adaptors %s)", dataset, len(written), out_dir, flanks)
    return written
