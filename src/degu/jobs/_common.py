"""Private helpers shared by several job modules."""

from __future__ import annotations

import json

from degu.io import hdf5


def prediction_attrs(**attrs) -> dict:
    """HDF5 attributes of a predictions/labels file: lists and dicts stored as JSON."""
    return {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in attrs.items()}


def cal_split(dataset_h5) -> tuple[str, ...]:
    """``("Cal",)`` when the dataset has the optional calibration split, else ``()``."""
    return (hdf5.CAL,) if hdf5.has_split(dataset_h5, hdf5.CAL) else ()


def conformal_split(dataset_h5) -> str:
    """The split the conformal scale is calibrated on: ``Cal`` when the dataset has one, else
    ``Val`` (the paper's choice)."""
    return hdf5.CAL if hdf5.has_split(dataset_h5, hdf5.CAL) else "Val"


def read_activity(path, split: str = "Test"):
    """The activity head of a trained model's saved ``{split}/pred``, split by the head layout
    recorded in the predictions file (:func:`degu.models.heads.prediction_layout`)."""
    from degu.errors import DeguInputError
    from degu.models.heads import prediction_layout

    pred = hdf5.read_arrays(path, [f"{split}/pred"])[f"{split}/pred"]
    try:
        return prediction_layout(hdf5.read_attrs(path)).split(pred)["mean"]  # checks the width
    except ValueError as exc:
        raise DeguInputError(f"{path}: {exc}") from None
