"""Apply model bundles (:mod:`degu.models.bundle`) to new sequences: ``degu predict``.

One row per input sequence; per task ``<task>_`` columns:

* ``activity``: the model's activity head; for an ensemble the members' mean;
* ``epistemic_std``: a DEGU student's epistemic head; for an ensemble the members' standard
  deviation (ddof=0) of the activity, as :func:`degu.uq.ensemble.ensemble_stats` (members'
  own epistemic heads are not used);
* ``aleatoric_std``: the aleatoric head (a heteroscedastic model's ``exp(logvar / 2)``); for
  an ensemble the members' mean aleatoric head, when every member has one;
* ``total_std``: ``sqrt(max(e, 0)**2 + max(a, 0)**2)`` when both are there;
* ``lower<L>``/``upper<L>`` (``L = 100 (1 - alpha)``, e.g. 95): ``activity -/+ z sigma`` with
  ``z`` the standard-normal ``1 - alpha/2`` quantile (1.96), and ``lower<L>_conformal``/
  ``upper<L>_conformal``: ``activity -/+ lambda sigma`` with ``lambda`` the bundle's stored
  conformal scale for the same uncertainty kind. ``sigma`` is the total std when the model has
  both kinds, else the one it has (``interval`` chooses another); like the calibration
  analysis (:func:`degu.jobs.calibration.calibration_job`) a predicted std at or below zero (a linear head
  can go negative) is floored at ``SIGMA_FLOOR``: a zero-width interval. Without a stored
  scale (calibration has not run for the bundle, or several ``--model`` form an ad hoc
  ensemble) the conformal columns are left out. ``alpha`` is the one the scale was calibrated
  at, else 0.05.

Columns of what a model does not predict are left out, so a student of a dataset without
replicates has ``activity, epistemic_std`` and the interval from the epistemic std.

Input: FASTA (recognised by a first non-blank line starting with ``>``) or a table (``.csv``:
commas, otherwise tabs; optionally compressed) with an id column (``id``, ``name`` or
``seq_id``) and a sequence column (``sequence`` or ``seq``). Sequences are checked as by
``prepare`` (alphabet, N policy, length). A model whose training sequences all carried
constant adaptors (``adaptors`` in ``degu.json``) takes either the full-length sequence (used
as it is) or the element alone (the adaptors are added); the length of each record decides.
The whole input is checked before any prediction, then read again in batches of
``batch_size``; the output is written atomically (nothing is left on an error).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError

DEFAULT_ALPHA = 0.05
ID_COLUMNS = ("id", "name", "seq_id")
SEQUENCE_COLUMNS = ("sequence", "seq")


# ------------------------------------------------------------------ models


@dataclass
class Predictor:
    """One model or an ensemble of bundles, ready to predict."""

    models: list  # keras models
    metas: list[dict]
    names: list[str]  # where each member came from (for messages)
    ensemble: dict | None = None  # the ensemble bundle's metadata, if one was given
    notes: list[str] = field(default_factory=list)

    @property
    def meta(self) -> dict:
        """Metadata that applies to the inputs (shared by all members)."""
        return self.ensemble or self.metas[0]

    @property
    def is_ensemble(self) -> bool:
        return len(self.models) > 1

    @property
    def conformal(self) -> dict | None:
        if self.is_ensemble:
            return (self.ensemble or {}).get("conformal")
        return self.metas[0].get("conformal")

    @property
    def kinds(self) -> list[str]:
        """Uncertainty kinds this predictor gives (``epistemic``, ``aleatoric``, ``total``)."""
        heads = set(self.metas[0]["heads"])
        if self.is_ensemble:
            has_e = True
            has_a = all(_has_aleatoric(m["heads"]) for m in self.metas)
        else:
            has_e = "epistemic" in heads or tuple(self.metas[0]["heads"]) == ("gamma", "nu", "alpha", "beta")
            has_a = _has_aleatoric(self.metas[0]["heads"])
        return [k for k, ok in (("epistemic", has_e), ("aleatoric", has_a)) if ok] + (
            ["total"] if has_e and has_a else []
        )


def _has_aleatoric(heads) -> bool:
    return "aleatoric" in heads or "logvar" in heads or tuple(heads) == ("gamma", "nu", "alpha", "beta")


def open_models(paths: list) -> Predictor:
    """Load one bundle, an ensemble bundle, or several bundles (an ensemble)."""
    from degu.models import bundle

    if not paths:
        raise DeguInputError("give at least one --model")
    metas = [bundle.read_metadata(p) for p in paths]
    kinds = [m["kind"] for m in metas]
    if "ensemble" in kinds:
        if len(paths) > 1:
            raise DeguInputError(
                f"{paths[kinds.index('ensemble')]} is an ensemble bundle; give it alone, or its members as --model"
            )
        members, ens = bundle.load_ensemble(paths[0])
        names = [str(Path(paths[0]) / r) for r in ens["members"]]
        return Predictor([m for m, _ in members], [mt for _, mt in members], names, ens)
    loaded = [bundle.load(p) for p in paths]
    names = [str(p) for p in paths]
    bundle.check_compatible([m for _, m in loaded], names, "the --model bundles")
    pred = Predictor([m for m, _ in loaded], [m for _, m in loaded], names)
    if pred.is_ensemble:
        pred.notes.append(
            "several --model bundles form an ad hoc ensemble: no stored conformal scale "
            "(give a pipeline ensemble bundle for one)"
        )
        if any("epistemic" in m["heads"] for m in pred.metas):
            pred.notes.append("the members' own epistemic heads are not used; the ensemble's is their spread")
    return pred


def decode_outputs(raw: np.ndarray, heads: list[str], tasks: list[str]) -> dict[str, np.ndarray]:
    """Split one model's raw outputs (N, K) into ``activity`` and the stds it has, each (N, T)
    (:func:`degu.models.heads.estimates`)."""
    from degu.models.heads import HeadLayout, estimates

    return estimates(raw, HeadLayout(tuple(heads), tuple(tasks)))


def combine(outputs: list[np.ndarray], metas: list[dict]) -> dict[str, np.ndarray]:
    """Activity and uncertainty stds (each (N, T)) of one model or of an ensemble of them,
    formed as the pipeline's ensemble labels (:func:`degu.jobs.labels.ensemble_labels_job`)."""
    parts = [decode_outputs(o, m["heads"], m["tasks"]) for o, m in zip(outputs, metas, strict=True)]
    if len(parts) == 1:
        return parts[0]
    from degu.uq.ensemble import ensemble_aleatoric, ensemble_stats

    mean, std = ensemble_stats(np.stack([p["activity"] for p in parts]))
    est = {"activity": mean, "epistemic": std}
    if all("aleatoric" in p for p in parts):
        est["aleatoric"] = ensemble_aleatoric(np.stack([p["aleatoric"] for p in parts]))
    return est


def interval_columns(
    est: dict[str, np.ndarray], kind: str, alpha: float, scale: float | None, with_conformal: bool
) -> dict[str, np.ndarray]:
    """``total`` (when both kinds exist) and the interval bounds of one uncertainty ``kind``."""
    from degu.uq.calibration import SIGMA_FLOOR, normal_quantile, predicted_total_std

    out = {}
    if "epistemic" in est and "aleatoric" in est:
        out["total"] = predicted_total_std(est["epistemic"], est["aleatoric"])
    sd = out["total"] if kind == "total" else est[kind]
    sigma = np.maximum(np.asarray(sd, dtype=np.float64), SIGMA_FLOOR)
    mu = np.asarray(est["activity"], dtype=np.float64)
    z = normal_quantile(1 - alpha / 2)
    out["lower"], out["upper"] = mu - z * sigma, mu + z * sigma
    if with_conformal:
        lam = np.inf if scale is None else float(scale)
        out["lower_conformal"], out["upper_conformal"] = mu - lam * sigma, mu + lam * sigma
    return out


# ------------------------------------------------------------------ input


@dataclass(frozen=True)
class InputRules:
    seq_len: int
    n_policy: str
    adaptors: tuple[str, str] | None  # (5', 3') or None

    @classmethod
    def of(cls, meta: dict) -> InputRules:
        a = meta.get("adaptors")
        return cls(int(meta["seq_len"]), meta["n_policy"], (a["5p"], a["3p"]) if a else None)

    @property
    def element_len(self) -> int | None:
        return None if self.adaptors is None else self.seq_len - len(self.adaptors[0]) - len(self.adaptors[1])

    def expected(self) -> str:
        if self.adaptors is None:
            return str(self.seq_len)
        return (
            f"{self.seq_len} (with the model's adaptors) or {self.element_len} "
            "(the element alone; the adaptors are added)"
        )

    def full(self, seq: str) -> str | None:
        """The model input for ``seq`` (adaptors added to an element), or None if its length fits neither."""
        if len(seq) == self.seq_len:
            return seq
        if self.adaptors is not None and len(seq) == self.element_len:
            return self.adaptors[0] + seq + self.adaptors[1]
        return None


def input_format(path) -> str:
    """``fasta`` if the first non-blank line starts with '>', else ``table``."""
    from degu.io.compression import open_text

    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: file not found")
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    return "fasta" if line.lstrip().startswith(">") else "table"
    except (OSError, EOFError) as exc:
        raise DeguInputError(f"{path}: cannot read: {exc}") from exc
    raise DeguInputError(f"{path}: file is empty (expected FASTA records or a table with a header row)")


def _fasta_records(path, rules: InputRules) -> Iterator[tuple[str, str]]:
    from degu.io.fasta import iter_fasta

    plain = rules.adaptors is None
    for rec in iter_fasta(path, length=rules.seq_len if plain else None, n_policy=rules.n_policy):
        seq = rec.seq if plain else rules.full(rec.seq)
        if seq is None:
            raise DeguInputError(
                f"{path}:{rec.line}: record '{rec.id}' has length {len(rec.seq)}, expected {rules.expected()}"
            )
        yield rec.id, seq


def _pick(header: list[str], given: str | None, defaults, what: str, path) -> int:
    wanted = [given] if given else list(defaults)
    for name in wanted:
        if name in header:
            return header.index(name)
    raise DeguInputError(
        f"{path}: missing {what} column {wanted[0]!r}"
        + (f" (or {', '.join(repr(w) for w in wanted[1:])})" if len(wanted) > 1 else "")
        + f"; columns present: {header}"
    )


def _table_records(
    path, rules: InputRules, id_column=None, sequence_column=None
) -> Iterator[tuple[str, str]]:
    from degu.io.compression import open_text
    from degu.io.encoding import first_invalid, invalid_character_message

    path = Path(path)
    suffixes = [x.lower() for x in path.suffixes if x.lower() not in (".gz", ".bz2", ".xz")]
    delimiter = "," if suffixes[-1:] == [".csv"] else "\t"
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = [c.strip() for c in next(reader)]
            i_id = _pick(header, id_column, ID_COLUMNS, "id", path)
            i_seq = _pick(header, sequence_column, SEQUENCE_COLUMNS, "sequence", path)
            col = header[i_seq]
            first: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                if not any(c.strip() for c in row):
                    continue
                if len(row) <= max(i_id, i_seq):
                    raise DeguInputError(f"{path}:{line}: {len(row)} field(s), expected {len(header)}")
                name, raw = row[i_id].strip(), row[i_seq].strip()
                if not name:
                    raise DeguInputError(f"{path}:{line}: empty name in column '{header[i_id]}'")
                if name in first:
                    raise DeguInputError(
                        f"{path}:{line}: duplicate name '{name}' in column '{header[i_id]}' "
                        f"(first seen in row {first[name]})"
                    )
                first[name] = line
                prefix = f"{path}:{line}: record '{name}'"
                if not raw:
                    raise DeguInputError(f"{prefix} has an empty sequence in column '{col}'")
                pos = first_invalid(raw, rules.n_policy)
                if pos is not None:
                    raise DeguInputError(invalid_character_message(prefix, raw, pos, rules.n_policy, col))
                seq = rules.full(raw.upper())
                if seq is None:
                    raise DeguInputError(
                        f"{prefix} has sequence length {len(raw)}, expected {rules.expected()}"
                    )
                yield name, seq
        except StopIteration:
            raise DeguInputError(f"{path}: file is empty (expected a header row)") from None
        except csv.Error as exc:
            raise DeguInputError(f"{path}:{reader.line_num}: malformed table: {exc}") from None


def iter_records(path, rules: InputRules, id_column=None, sequence_column=None) -> Iterator[tuple[str, str]]:
    """``(id, model-input sequence)`` of every record, checked as described in the module doc."""
    if input_format(path) == "fasta":
        if id_column or sequence_column:
            raise DeguInputError(f"{path}: --id-column/--sequence-column are for tables, not FASTA")
        yield from _fasta_records(path, rules)
    else:
        yield from _table_records(path, rules, id_column, sequence_column)


def _batches(records: Iterator[tuple[str, str]], size: int):
    ids, seqs = [], []
    for rid, seq in records:
        ids.append(rid)
        seqs.append(seq)
        if len(ids) == size:
            yield ids, seqs
            ids, seqs = [], []
    if ids:
        yield ids, seqs


# ------------------------------------------------------------------ predict


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}".replace(".", "_")


def predict_table(
    predictor: Predictor,
    ids: list[str],
    seqs: list[str],
    *,
    interval: str | None,
    alpha: float,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """Columns (in output order) for one batch of model-input sequences."""
    from degu.io.encoding import one_hot
    from degu.models.training import predict

    x = one_hot(seqs, n_policy=predictor.meta["n_policy"])
    outputs = [predict(m, x, batch_size) for m in predictor.models]
    est = combine(outputs, predictor.metas)
    conformal = predictor.conformal
    extra = {}
    if interval is not None:
        scale = (conformal or {}).get("scale", {}).get(interval)
        extra = interval_columns(est, interval, alpha, scale, conformal is not None)
    level = _level(alpha)
    cols: dict[str, np.ndarray] = {"id": np.asarray(ids, dtype=object)}
    for j, task in enumerate(predictor.meta["tasks"]):
        cols[f"{task}_activity"] = est["activity"][:, j]
        for kind in ("epistemic", "aleatoric"):
            if kind in est:
                cols[f"{task}_{kind}_std"] = est[kind][:, j]
        if "total" in extra:
            cols[f"{task}_total_std"] = extra["total"][:, j]
        for key in ("lower", "upper", "lower_conformal", "upper_conformal"):
            if key in extra:
                bound, _, tail = key.partition("_")
                cols[f"{task}_{bound}{level}" + (f"_{tail}" if tail else "")] = extra[key][:, j]
    return cols


def predict_file(
    models: list,
    input_path,
    out=None,
    *,
    batch_size: int = 1000,
    interval: str | None = None,
    id_column: str | None = None,
    sequence_column: str | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    predictor: Predictor | None = None,
) -> dict:
    """Predict every sequence of ``input_path`` with the bundles ``models``; write a table to
    ``out`` (tab-separated; comma-separated for ``.csv``; standard output when None).

    ``interval``: the uncertainty kind the intervals use (default: ``total`` when the model
    has both kinds, else the one it has). ``threads``: TensorFlow intra-op threads (1 and the
    pipeline's ``prediction_batch_size`` reproduce the pipeline's predictions bit for bit).
    ``progress``: a progress bar on standard error (None: only on a terminal). Returns a
    summary (records, columns, interval kind, conformal scale, notes).
    """
    if batch_size < 1:
        raise DeguInputError(f"--batch-size must be at least 1, got {batch_size}")
    if predictor is None:
        from degu.runtime import setup_tensorflow

        setup_tensorflow(None, threads=threads, deterministic=True)
        predictor = open_models(models)
    kinds = predictor.kinds
    if interval is None:
        interval = "total" if "total" in kinds else (kinds[0] if kinds else None)
    elif interval not in kinds:
        raise DeguInputError(
            f"--interval {interval}: the model gives no {interval} uncertainty "
            f"(it gives: {', '.join(kinds) or 'none'}; heads {predictor.metas[0]['heads']})"
        )
    conformal = predictor.conformal
    alpha = float(conformal["alpha"]) if conformal else DEFAULT_ALPHA
    rules = InputRules.of(predictor.meta)
    n = sum(1 for _ in iter_records(input_path, rules, id_column, sequence_column))  # check all first
    if n == 0:
        raise DeguInputError(f"{input_path}: no records found")
    summary = {
        "n": n,
        "interval": interval,
        "alpha": alpha,
        "conformal_scale": (conformal or {}).get("scale", {}).get(interval) if interval else None,
        "conformal_split": (conformal or {}).get("split"),
        "notes": list(predictor.notes),
    }
    if conformal is None and interval is not None and not predictor.is_ensemble:
        summary["notes"].append("no conformal scale in the bundle (calibration has not run for it)")
    sep = "," if out is not None and Path(out).suffix == ".csv" else "\t"
    from tqdm import tqdm

    def write(fh) -> list[str]:
        columns: list[str] = []
        bar = tqdm(
            total=n, unit="seq", desc="degu predict", disable=(not progress) if progress is not None else None
        )
        with bar:
            records = iter_records(input_path, rules, id_column, sequence_column)
            for ids, seqs in _batches(records, batch_size):
                cols = predict_table(
                    predictor, ids, seqs, interval=interval, alpha=alpha, batch_size=batch_size
                )
                _write_rows(fh, cols, sep, header=not columns)
                columns = list(cols)
                bar.update(len(ids))
        return columns

    if out is None:
        summary["columns"] = write(sys.stdout)
    else:
        from degu.io.atomic import atomic_path

        with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            summary["columns"] = write(fh)
    return summary


def _write_rows(fh, cols: dict[str, np.ndarray], sep: str, header: bool) -> None:
    import pandas as pd

    pd.DataFrame(cols).to_csv(fh, sep=sep, index=False, header=header, lineterminator="\n")
