"""Uncertainty baselines computed from trained models (rules/baselines.smk): MC dropout.

(The heteroscedastic, evidential and heteroscedastic-distilled models are trained by
:func:`degu.jobs.train.train_model_job`.)
"""

from __future__ import annotations

from degu.io import hdf5
from degu.jobs._common import cal_split, prediction_attrs


def mc_dropout_job(
    *,
    dataset_h5,
    model_path,
    out_h5,
    passes: int = 100,
    seed: int = 0,
    threads: int | None = None,
    prediction_batch_size: int = 1000,
) -> None:
    """MC dropout (Gal & Ghahramani) on a standard model: mean and std of the activity
    head over ``passes`` stochastic passes, on the validation and test sets (and ``Cal``)."""
    from degu.runtime import setup_tensorflow

    device = setup_tensorflow(seed, threads=threads, deterministic=True)
    from degu.models import load_model
    from degu.models.heads import teacher_layout
    from degu.uq.uncertainty import mc_dropout_predict

    model = load_model(model_path)
    tasks = hdf5.dataset_tasks(dataset_h5)
    arrays = {}
    for split in ("Val", "Test", *cal_split(dataset_h5)):
        x = hdf5.read_split(dataset_h5, split).X
        mean, std = mc_dropout_predict(model, x, passes=passes, batch_size=prediction_batch_size, seed=seed)
        layout = teacher_layout(mean.shape[-1], tasks)  # keep the activity head
        arrays[f"{split}/mean"], arrays[f"{split}/std"] = layout.head(mean, "mean"), layout.head(std, "mean")
    hdf5.write_arrays(
        out_h5,
        arrays,
        attrs=prediction_attrs(passes=passes, seed=seed, model=str(model_path), device=device),
    )
