"""The DeepSTARR (de Almeida et al. 2022) STARR-seq file formats.

* ``Sequences_{Train,Val,Test}.fa``: single-line FASTA, 249-bp sequences, headers
  like ``>chr2L_5587_5835_+_positive_peaks``.
* ``Sequences_activity_{Train,Val,Test}.txt``: tab-separated, one header row, one
  row per FASTA record in the same order, no ID column. Columns include
  ``Dev_log2_enrichment`` and ``Hk_log2_enrichment`` (plus ``_scaled`` and
  ``_quantile_normalized`` variants); we select by name.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io.compression import read_bytes
from degu.io.fasta import FastaRecord, read_fasta

SPLITS = ("Train", "Val", "Test")


def fasta_name(split: str) -> str:
    return f"Sequences_{split}.fa"


def activity_name(split: str) -> str:
    return f"Sequences_activity_{split}.txt"


def read_activity(path: str | os.PathLike, columns: list[str]) -> np.ndarray:
    """Read the named activity columns as float32 (N, len(columns)).

    Raises DeguInputError naming the file and 1-based line for a missing column,
    a non-numeric value or a NaN/empty cell.
    """
    path = Path(path)
    try:
        # keep blank lines as (empty) rows so that reported line numbers stay exact
        text = read_bytes(path).decode("utf-8-sig", errors="replace")
        table = pd.read_csv(
            io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.EmptyDataError as exc:
        raise DeguInputError(f"{path}: file is empty (expected a header row)") from exc
    except pd.errors.ParserError as exc:
        raise DeguInputError(f"{path}: malformed tab-separated table: {exc}") from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DeguInputError(f"{path}: missing column(s) {missing}; columns present: {list(table.columns)}")
    out = np.empty((len(table), len(columns)), dtype=np.float32)
    for j, col in enumerate(columns):
        raw = table[col].str.strip()
        values = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=np.float64)))
        if bad.size:
            i = int(bad[0])
            shown = raw.iloc[i]
            if shown == "":
                what = "empty value"
            elif shown.lower() in ("nan", "na"):
                what = "NaN"
            elif shown.lower().lstrip("+-") in ("inf", "infinity"):
                what = f"infinite value {shown!r}"
            else:
                what = f"non-numeric value {shown!r}"
            raise DeguInputError(
                f"{path}:{i + 2}: {what} in column '{col}' (data row {i + 1}; "
                f"{bad.size} bad value(s) in this column)"
            )
        with np.errstate(over="ignore"):
            out[:, j] = values.to_numpy(dtype=np.float64).astype(np.float32)
        over = np.flatnonzero(~np.isfinite(out[:, j]))  # finite in float64, not in float32
        if over.size:
            i = int(over[0])
            raise DeguInputError(
                f"{path}:{i + 2}: value {raw.iloc[i]!r} in column '{col}' does not fit float32 "
                f"(|value| > 3.4e38; {over.size} such value(s) in this column)"
            )
    return out


def read_split(
    directory: str | os.PathLike,
    split: str,
    columns: list[str],
    *,
    length: int | None = 249,
    n_policy: str = "zeros",
) -> tuple[list[FastaRecord], np.ndarray]:
    """Read one split's FASTA and activity file and check that they match."""
    directory = Path(directory)
    fa = directory / fasta_name(split)
    act = directory / activity_name(split)
    # activity rows are matched to records by order, so ids need not be unique
    records = read_fasta(fa, length=length, n_policy=n_policy, unique_ids=False)
    y = read_activity(act, columns)
    check_rows_match(fa, len(records), act, len(y))
    return records, y


def check_rows_match(fasta_path, n_records: int, table_path, n_rows: int) -> None:
    if n_records != n_rows:
        raise DeguInputError(
            f"{table_path} has {n_rows} data rows but {fasta_path} has {n_records} records; "
            "activity rows must correspond one-to-one, in order, to FASTA records"
        )
