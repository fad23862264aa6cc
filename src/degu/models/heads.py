"""A model's outputs as one concept: named heads, each with one column per task.

Every model in this project writes its outputs head by head along the last axis:
``[head_1 task_1..T, head_2 task_1..T, ...]``, e.g. a DEGU student for tasks (Dev, Hk) with
heads (mean, epistemic) has columns ``[Dev mean, Hk mean, Dev epistemic, Hk epistemic]``.
A profile model has the same layout on the last axis of an (N, L, k*T) output (``length`` = L).
:class:`HeadLayout` is the only place that knows this: it splits prediction arrays into heads,
stacks heads back, and says which columns belong to which head. It works on NumPy arrays and on
backend tensors alike (it only slices and concatenates the last axis).

Head names used by the pipeline: ``mean`` (activity), ``epistemic`` and ``aleatoric`` (stds),
``logvar`` (heteroscedastic log variance), ``gamma``/``nu``/``alpha``/``beta`` (evidential raw
outputs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: heads whose values are standard deviations (rescaled, never shifted, by target scaling)
STD_HEADS = ("epistemic", "aleatoric")


@dataclass(frozen=True)
class HeadLayout:
    heads: tuple[str, ...]
    tasks: tuple[str, ...]
    length: int | None = None  # profile outputs: positions per sequence; None for scalar outputs

    def __post_init__(self):
        object.__setattr__(self, "heads", tuple(str(h) for h in self.heads))
        object.__setattr__(self, "tasks", tuple(str(t) for t in self.tasks))
        if not self.heads or not self.tasks:
            raise ValueError(
                f"a head layout needs at least one head and one task, got {self.heads}, {self.tasks}"
            )
        for what, names in (("head", self.heads), ("task", self.tasks)):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"duplicate {what} name(s) {dup} in {list(names)}")
        if self.length is not None and int(self.length) < 1:
            raise ValueError(f"profile length must be >= 1, got {self.length}")

    @classmethod
    def blocks(cls, n_heads: int, n_tasks: int) -> HeadLayout:
        """An anonymous layout of ``n_heads`` blocks of ``n_tasks`` columns (losses know no names)."""
        return cls(tuple(f"head{k}" for k in range(n_heads)), tuple(f"task{j}" for j in range(n_tasks)))

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def width(self) -> int:
        """Number of output columns (the last axis)."""
        return len(self.heads) * len(self.tasks)

    def __contains__(self, head: str) -> bool:
        return head in self.heads

    def columns(self, head: str) -> slice:
        """The last-axis columns of ``head``."""
        try:
            k = self.heads.index(head)
        except ValueError:
            raise KeyError(f"no head {head!r} in {list(self.heads)}") from None
        return slice(k * self.n_tasks, (k + 1) * self.n_tasks)

    def head(self, outputs, head: str):
        """The (..., T) part of ``outputs`` (..., width) that is ``head``."""
        return outputs[..., self.columns(head)]

    def check(self, outputs, what: str = "outputs") -> None:
        """Raise if ``outputs`` does not have this layout's width (and length, for profiles)."""
        shape = tuple(outputs.shape)
        if shape[-1] != self.width:
            raise ValueError(
                f"{what} have {shape[-1]} columns; heads {list(self.heads)} x tasks {list(self.tasks)} "
                f"need {self.width}"
            )
        if self.length is not None and (len(shape) < 3 or shape[-2] != self.length):
            raise ValueError(
                f"{what} have shape {shape}; a profile layout needs (..., {self.length}, {self.width})"
            )

    def split(self, outputs) -> dict:
        """``{head: (..., T)}`` for every head, in order."""
        self.check(outputs)
        return {h: outputs[..., self.columns(h)] for h in self.heads}

    def parts(self, outputs) -> list:
        """The heads of ``outputs`` as a list, in order (for anonymous layouts)."""
        return list(self.split(outputs).values())

    def stack(self, parts: Mapping[str, np.ndarray] | Sequence[np.ndarray]) -> np.ndarray:
        """Concatenate per-head arrays (each (..., T)) into the layout (..., width), float32.

        ``parts`` is a mapping with exactly this layout's heads, or a sequence in head order."""
        if isinstance(parts, Mapping):
            missing, extra = set(self.heads) - set(parts), set(parts) - set(self.heads)
            if missing or extra:
                raise ValueError(f"need heads {list(self.heads)}, got {list(parts)}")
            arrays = [parts[h] for h in self.heads]
        else:
            arrays = list(parts)
            if len(arrays) != len(self.heads):
                raise ValueError(f"need {len(self.heads)} heads {list(self.heads)}, got {len(arrays)} arrays")
        arrays = [np.asarray(a, dtype=np.float32) for a in arrays]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"all heads must have the same shape, got {sorted(shapes)}")
        if arrays[0].shape[-1] != self.n_tasks:
            raise ValueError(f"each head needs {self.n_tasks} task columns, got {arrays[0].shape[-1]}")
        return np.concatenate(arrays, axis=-1)

    def per_column(self, per_head: Mapping[str, np.ndarray]) -> np.ndarray:
        """One value per output column from one (T,) vector per head (e.g. scaling factors)."""
        return np.concatenate(
            [np.broadcast_to(np.asarray(per_head[h], np.float64), (self.n_tasks,)) for h in self.heads]
        )

    def to_dict(self) -> dict:
        return {"heads": list(self.heads), "tasks": list(self.tasks), "length": self.length}

    @classmethod
    def from_dict(cls, d: Mapping) -> HeadLayout:
        return cls(tuple(d["heads"]), tuple(d["tasks"]), d.get("length"))


#: raw head sets of the uncertainty baselines (:mod:`degu.uq.uncertainty`), decoded by :func:`estimates`
HETEROSCEDASTIC_HEADS = ("mean", "logvar")
EVIDENTIAL_HEADS = ("gamma", "nu", "alpha", "beta")


#: added to nu, beta and (alpha - 1) of the evidential outputs so that none reaches 0
EVIDENTIAL_EPSILON = 1e-6


def _softplus_np(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def heteroscedastic_std(logvar) -> np.ndarray:
    """Standard deviation ``sqrt(exp(logvar))`` (computed as ``exp(logvar / 2)``)."""
    return np.exp(0.5 * np.asarray(logvar, dtype=np.float64))  # float64: no overflow to inf


def evidential_outputs(raw: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and uncertainties from an evidential model's raw (N, 4) outputs.

    Same transforms as :class:`degu.uq.uncertainty.EvidentialLoss`. Returns float32 arrays (N,):
    ``mean`` = gamma, ``aleatoric_std`` = sqrt(E[sigma^2]) = sqrt(beta / (alpha - 1)) and
    ``epistemic_std`` = sqrt(Var[mu]) = sqrt(beta / (nu (alpha - 1))), plus the NIG parameters
    ``nu``, ``alpha``, ``beta``.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] != 4:
        raise ValueError(f"evidential outputs must have shape (N, 4), got {raw.shape}")
    eps = EVIDENTIAL_EPSILON
    nu = _softplus_np(raw[:, 1]) + eps
    alpha_m1 = _softplus_np(raw[:, 2]) + eps  # alpha - 1, without losing precision to the "+ 1"
    beta = _softplus_np(raw[:, 3]) + eps
    out = {
        "mean": raw[:, 0],
        "aleatoric_std": np.sqrt(beta / alpha_m1),
        "epistemic_std": np.sqrt(beta / (nu * alpha_m1)),
        "nu": nu,
        "alpha": alpha_m1 + 1.0,
        "beta": beta,
    }
    return {k: v.astype(np.float32) for k, v in out.items()}


def estimates(outputs: np.ndarray, layout: HeadLayout) -> dict[str, np.ndarray]:
    """What one model's outputs (N, width) say, each (N, T): ``activity`` and whichever of the
    ``epistemic`` and ``aleatoric`` standard deviations the model predicts.

    Heads named ``mean``/``epistemic``/``aleatoric`` are taken as they are; a heteroscedastic
    model's ``logvar`` becomes the aleatoric std ``exp(logvar / 2)``; an evidential model's
    Normal-Inverse-Gamma outputs become its mean, aleatoric and epistemic std
    (:func:`evidential_outputs`). Other heads are returned under their names."""
    if layout.heads == HETEROSCEDASTIC_HEADS:
        parts = layout.split(outputs)
        return {"activity": parts["mean"], "aleatoric": heteroscedastic_std(parts["logvar"])}
    if layout.heads == EVIDENTIAL_HEADS:
        if layout.n_tasks != 1:
            raise ValueError(f"evidential models are single-task, got tasks {list(layout.tasks)}")
        layout.check(outputs)
        ev = evidential_outputs(outputs)
        return {
            "activity": ev["mean"][:, None],
            "epistemic": ev["epistemic_std"][:, None],
            "aleatoric": ev["aleatoric_std"][:, None],
        }
    return {("activity" if h == "mean" else h): v for h, v in layout.split(outputs).items()}


def teacher_layout(width: int, tasks) -> HeadLayout:
    """The layout of a standard model with ``width`` outputs for ``tasks``: the activity head,
    followed by an aleatoric (replicate-std) head when the model has one."""
    tasks = tuple(tasks)
    heads = {len(tasks): ("mean",), 2 * len(tasks): ("mean", "aleatoric")}.get(int(width))
    if heads is None:
        raise ValueError(
            f"a standard model for tasks {list(tasks)} has {len(tasks)} or {2 * len(tasks)} outputs, not {width}"
        )
    return HeadLayout(heads, tasks)


#: heads of base-resolution profile models (CNN-task-base, ATAC-seq): a teacher predicts the
#: replicate mean and std tracks; a DEGU student the ensemble's mean, mean aleatoric and std
#: (epistemic) tracks, in the paper's order
PROFILE_TEACHER_HEADS = ("mean", "aleatoric")
PROFILE_STUDENT_HEADS = ("mean", "aleatoric", "epistemic")


def profile_layout(role: str, tasks, length: int) -> HeadLayout:
    """The (length, heads x tasks) output layout of a profile ``teacher`` or ``student``."""
    heads = {"teacher": PROFILE_TEACHER_HEADS, "student": PROFILE_STUDENT_HEADS}.get(role)
    if heads is None:
        raise ValueError(f"profile role must be 'teacher' or 'student', got {role!r}")
    return HeadLayout(heads, tuple(tasks), int(length))


def prediction_layout(attrs: Mapping) -> HeadLayout:
    """The layout recorded in a predictions file's attributes (``heads``, ``tasks``, JSON lists).

    Files without ``heads`` (e.g. the k-mer reference) hold activity only; the layout's
    ``split``/``check`` then verify the number of columns."""
    import json

    def _list(key):
        if key not in attrs:
            raise ValueError(f"no {key!r} attribute (not a predictions file of this pipeline?)")
        v = attrs[key]
        return json.loads(v) if isinstance(v, str | bytes) else list(v)

    heads = tuple(_list("heads")) if "heads" in attrs else ("mean",)
    tasks = tuple(_list("tasks"))
    if heads in (HETEROSCEDASTIC_HEADS, EVIDENTIAL_HEADS):  # one column per raw output, single task
        tasks = tasks[:1]
    return HeadLayout(heads, tasks)
