"""lentiMPRA tables (Agarwal et al. 2023) and generic user MPRA tables.

Formats
-------
Agarwal et al. 2023 publish the library and the measurements as Excel supplementary tables
(one sheet per cell type); the same columns may also arrive as ``.csv``/``.tsv`` (optionally
gzipped). :func:`read_table` reads any of these with every cell as a string.

* **Supplementary Table 3**, sheet ``"<cell> large-scale"``: ``name, category, chr.hg19,
  start.hg19, stop.hg19, str.hg19, chr.hg38, start.hg38, stop.hg38, str.hg38,`` and
  :data:`SEQUENCE_COLUMN`. The K562 sheet has no hg19 columns. Sequences are 230 nt: the
  15-nt 5' adaptor ``AGGACCGGATCAACT``, the 200-nt element and the 15-nt 3' adaptor
  ``CATTGCGTGAACCGA``. Read with :func:`read_agarwal_sequences`.
* **Supplementary Table 4**, sheet ``"<cell>_summary_data"``: ``name`` plus the three
  :data:`REPLICATE_COLUMNS` (log2(RNA/DNA) per replicate; an empty cell is a replicate that
  was not measured) and :data:`MEAN_COLUMN` (mean over the available replicates). Read with
  :func:`read_agarwal_replicates`.
* **Generic table** (a user's own MPRA, or the re-split ``test_HepG2.tsv.gz`` with columns
  ``seq_id, seq, mean_value``): one row per sequence with an id column, a sequence column, one
  or more activity columns and optionally per-replicate columns. Read with
  :func:`read_generic_table`.

Reverse-orientation names
-------------------------
Every element is measured in both orientations; the reverse record's name is the forward
name plus a suffix, and the two records of a pair share the *stem* (:func:`pair_stem`):

* Table 3 and Table 4 use ``<stem>_Reversed``;
* 153 HepG2 names in Table 3 end ``_Reversed_0`` while Table 4 names the same record
  ``<stem>_Reversed`` (:func:`merge_lentimpra` resolves this by normalising the suffix when
  the exact name does not match);
* the re-split ``test_HepG2.tsv.gz`` writes ``<stem>_Reversed:`` (a stray colon).

:data:`DEFAULT_REVERSE_PATTERN` matches all three.

Errors
------
Every problem raises :class:`~degu.errors.DeguInputError` naming the file (and sheet), the
row as a user sees it (the header is row/line 1, so the first record is row 2) and, where
there is one, the column and the record name. Blank rows are skipped but still counted, so
the reported row is the row in the file.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io.compression import read_bytes
from degu.io.encoding import N_POLICIES, first_invalid, invalid_character_message

DEFAULT_REVERSE_PATTERN = r"_Reversed(?:_\d+)?:?$"

SEQUENCE_COLUMN = "230nt sequence (15nt 5' adaptor - 200nt element - 15nt 3' adaptor)"
REPLICATE_COLUMNS = [
    "replicate 1 [log2(rna/dna)]",
    "replicate 2 [log2(rna/dna)]",
    "replicate 3 [log2(rna/dna)]",
]
MEAN_COLUMN = "mean"
ADAPTOR_5 = "AGGACCGGATCAACT"
ADAPTOR_3 = "CATTGCGTGAACCGA"

# cell contents read as a missing value (a replicate that was not measured)
MISSING_TOKENS = frozenset({"", "na", "nan", "n/a", "#n/a"})
EXCEL_SUFFIXES = (".xlsx", ".xls")
TEXT_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": "\t"}
N_EXAMPLES = 10


# --------------------------------------------------------------------------- names


def pair_stem(name: str, pattern: str = DEFAULT_REVERSE_PATTERN) -> str:
    """The name without its reverse-orientation suffix (forward names are returned unchanged).

    ``pair_stem("X_Reversed") == pair_stem("X_Reversed_0") == pair_stem("X_Reversed:") == "X"``.
    """
    return re.sub(pattern, "", name, count=1)


def is_reverse(name: str, pattern: str = DEFAULT_REVERSE_PATTERN) -> bool:
    """Whether ``name`` carries the reverse-orientation suffix."""
    return re.search(pattern, name) is not None


def normalised_name(name: str, pattern: str = DEFAULT_REVERSE_PATTERN) -> str:
    """``<stem>_Reversed`` for any reverse spelling, the name itself for a forward record."""
    return pair_stem(name, pattern) + "_Reversed" if is_reverse(name, pattern) else name


# --------------------------------------------------------------------------- tables


class _Where:
    """Formats the location of a row: ``path:line`` for text, ``path (sheet 'S', row n)`` for Excel."""

    def __init__(self, path: Path, sheet: str | None):
        self.path = path
        self.sheet = sheet

    @property
    def file(self) -> str:
        return f"{self.path} (sheet '{self.sheet}')" if self.sheet is not None else str(self.path)

    def row(self, index: int) -> str:
        """Location of data row ``index`` (0-based; the header is row 1)."""
        n = index + 2
        if self.sheet is not None:
            return f"{self.path} (sheet '{self.sheet}', row {n})"
        return f"{self.path}:{n}"


def _cell_str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else repr(value)
    return str(value)


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _read_raw(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str | None]:
    """Read every cell (header row included) as str; returns the grid and the sheet read."""
    if not path.is_file():
        raise DeguInputError(f"{path}: file not found")
    suffix = _base_suffix(path)
    data = read_bytes(path)  # gzip/bzip2/xz recognised by content, whatever the suffix
    if not data.strip():
        raise DeguInputError(f"{path}: file is empty (expected a header row)")
    if suffix in EXCEL_SUFFIXES:
        try:
            xf = pd.ExcelFile(io.BytesIO(data), engine="openpyxl" if suffix == ".xlsx" else None)
        except ImportError as exc:
            raise DeguInputError(
                f"{path}: reading a legacy .xls workbook needs an extra package ({exc}); save it as .xlsx"
            ) from exc
        except Exception as exc:  # zipfile.BadZipFile, openpyxl errors, ...
            raise DeguInputError(f"{path}: cannot read as an Excel workbook: {exc}") from exc
        with xf:
            names = [str(s) for s in xf.sheet_names]
            if not names:
                raise DeguInputError(f"{path}: workbook has no sheets")
            if sheet is None:
                sheet = names[0]
            elif sheet not in names:
                raise DeguInputError(f"{path}: no sheet named '{sheet}'; sheets present: {names}")
            try:
                grid = pd.read_excel(xf, sheet_name=sheet, header=None, dtype=object, na_filter=False)
            except Exception as exc:
                raise DeguInputError(f"{path} (sheet '{sheet}'): cannot read sheet: {exc}") from exc
        grid = grid.map(_cell_str) if len(grid) else grid
        return grid, sheet
    if suffix in TEXT_SEPARATORS:
        if sheet is not None:
            raise DeguInputError(f"{path}: a sheet ('{sheet}') was given but this is not an Excel file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DeguInputError(f"{path}: not UTF-8 text ({exc}); unreadable table") from exc
        try:
            grid = pd.read_csv(
                io.StringIO(text),
                sep=TEXT_SEPARATORS[suffix],
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
            )
        except pd.errors.EmptyDataError as exc:
            raise DeguInputError(f"{path}: file is empty (expected a header row)") from exc
        except pd.errors.ParserError as exc:
            raise DeguInputError(f"{path}: malformed table: {exc}") from exc
        return grid.fillna(""), None
    raise DeguInputError(
        f"{path}: unsupported table format '{suffix or path.name}'; "
        "expected .xlsx, .xls, .csv, .tsv or .txt (text formats optionally .gz)"
    )


def _read_table(path: str | os.PathLike, sheet: str | None = None) -> tuple[pd.DataFrame, _Where]:
    path = Path(path)
    grid, sheet = _read_raw(path, sheet)
    where = _Where(path, sheet)
    grid = grid.apply(lambda c: c.astype(object).astype(str).str.strip()) if grid.shape[1] else grid
    # trailing blank rows (often left by spreadsheet editors) carry no row numbers that matter
    nonblank = np.flatnonzero((grid != "").any(axis=1).to_numpy())
    if nonblank.size == 0:
        raise DeguInputError(f"{where.file}: table is empty (expected a header row)")
    if nonblank[0] != 0:
        raise DeguInputError(f"{where.file}: row 1 is blank (expected the header row)")
    grid = grid.iloc[: nonblank[-1] + 1]
    header = list(grid.iloc[0])
    while header and header[-1] == "":  # trailing unnamed columns (blank in every row)
        if (grid.iloc[1:, len(header) - 1] != "").any():
            break
        header.pop()
    grid = grid.iloc[:, : len(header)]
    seen: set[str] = set()
    for j, col in enumerate(header):
        if col == "":
            raise DeguInputError(f"{where.file}: header cell {j + 1} is empty (every column needs a name)")
        if col in seen:
            raise DeguInputError(f"{where.file}: column '{col}' appears more than once in the header")
        seen.add(col)
    table = grid.iloc[1:].copy()
    table.columns = header
    table.index = pd.RangeIndex(len(table))
    return table, where


def read_table(path: str | os.PathLike, sheet: str | None = None) -> pd.DataFrame:
    """Read a table with every cell as a stripped string (an empty cell is ``""``).

    Dispatches on the suffix: ``.xlsx``/``.xls`` (Excel; ``sheet`` selects the sheet, default
    the first), ``.csv`` (comma), ``.tsv``/``.txt`` (tab), the text formats optionally gzipped
    (``.csv.gz``...). No value is converted to NA: ``"NA"`` stays the string ``"NA"``.

    The first row is the header. Blank rows inside the table are kept as rows of ``""`` so
    that data row ``i`` (0-based index) is row/line ``i + 2`` of the file; trailing blank rows
    are dropped. ``df.attrs["sheet"]`` holds the sheet that was read (``None`` for text).

    Raises DeguInputError naming the file for a missing file, an empty file, an unknown
    suffix, an unreadable workbook or text, a missing sheet (listing the sheets present), an
    empty or repeated column name.
    """
    table, where = _read_table(path, sheet)
    table.attrs["sheet"] = where.sheet
    return table


# --------------------------------------------------------------------------- validation helpers


def _require_columns(table: pd.DataFrame, where: _Where, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DeguInputError(
            f"{where.file}: missing column(s) {missing}; columns present: {list(table.columns)}"
        )


def _data_rows(table: pd.DataFrame) -> np.ndarray:
    """Indices of the rows that are not entirely blank."""
    if table.shape[1] == 0:
        return np.arange(0)
    return np.flatnonzero((table != "").any(axis=1).to_numpy())


def _check_names(table: pd.DataFrame, rows: np.ndarray, where: _Where, column: str) -> list[str]:
    names = table[column].to_numpy()[rows].tolist()
    first: dict[str, int] = {}
    for i, name in zip(rows.tolist(), names, strict=True):
        if name == "":
            raise DeguInputError(f"{where.row(i)}: empty name in column '{column}'")
        if name in first:
            raise DeguInputError(
                f"{where.row(i)}: duplicate name '{name}' in column '{column}' "
                f"(first seen in row {first[name] + 2})"
            )
        first[name] = i
    return names


def _check_sequences(
    table: pd.DataFrame,
    rows: np.ndarray,
    names: list[str],
    where: _Where,
    column: str,
    seq_len: int | None,
    n_policy: str,
) -> list[str]:
    if n_policy not in N_POLICIES:
        raise DeguInputError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    seqs = pd.Series(table[column].to_numpy()[rows], dtype=object).str.upper()
    allowed = "ACGTN" if n_policy == "zeros" else "ACGT"
    ok = np.array(seqs.str.fullmatch(f"[{allowed}]+"), dtype=bool)
    if seq_len is not None:
        ok = ok & np.array(seqs.str.len() == seq_len, dtype=bool)
    bad = np.flatnonzero(~ok)
    if bad.size:
        k = int(bad[0])
        i, name, seq = int(rows[k]), names[k], seqs.iloc[k]
        prefix = f"{where.row(i)}: record '{name}'"
        if seq == "":
            raise DeguInputError(f"{prefix} has an empty sequence in column '{column}'")
        pos = first_invalid(seq, n_policy)
        if pos is not None:
            raise DeguInputError(
                invalid_character_message(prefix, table[column].iloc[i], pos, n_policy, column)
            )
        raise DeguInputError(
            f"{prefix} has sequence length {len(seq)}, expected {seq_len} "
            f"({int(bad.size)} record(s) with a wrong length or character)"
        )
    return seqs.tolist()


def _parse_numbers(
    table: pd.DataFrame,
    rows: np.ndarray,
    names: list[str],
    where: _Where,
    column: str,
    *,
    allow_missing: bool,
) -> np.ndarray:
    """Parse a column as float64; missing tokens become NaN (or an error if not allowed)."""
    raw = pd.Series(table[column].to_numpy()[rows], dtype=object)
    missing = np.array(raw.str.lower().isin(MISSING_TOKENS), dtype=bool)
    values = np.array(pd.to_numeric(raw.where(~missing, "nan"), errors="coerce"), dtype=np.float64)
    bad = ~np.isfinite(values) & ~missing
    if not allow_missing:
        bad |= missing
    idx = np.flatnonzero(bad)
    if idx.size:
        k = int(idx[0])
        shown = raw.iloc[k]
        if shown == "":
            what = "empty value"
        elif shown.lower() in MISSING_TOKENS:
            what = f"missing value {shown!r}"
        elif np.isinf(values[k]):
            what = f"infinite value {shown!r}"
        else:
            what = f"non-numeric value {shown!r}"
        raise DeguInputError(
            f"{where.row(int(rows[k]))}: {what} in column '{column}' for record '{names[k]}' "
            f"({int(idx.size)} bad value(s) in this column)"
        )
    values[missing] = np.nan
    return values


def _no_records(where: _Where) -> DeguInputError:
    return DeguInputError(f"{where.file}: no data rows (only a header)")


# --------------------------------------------------------------------------- Agarwal tables


def read_agarwal_sequences(
    path: str | os.PathLike,
    sheet: str | None = None,
    *,
    name_column: str = "name",
    sequence_column: str = SEQUENCE_COLUMN,
    seq_len: int | None = 230,
    n_policy: str = "zeros",
) -> pd.DataFrame:
    """Read Agarwal Supplementary Table 3 (the library): columns ``name, sequence``.

    Sequences are returned uppercased. The coordinate and category columns are ignored.
    Errors name the file (and sheet), the row and the record: a missing column (listing the
    columns present), an empty or repeated name, an empty sequence, a character other than
    A/C/G/T/N (N only with ``n_policy="zeros"``) and a length other than ``seq_len`` (``None``
    skips the length check).
    """
    table, where = _read_table(path, sheet)
    _require_columns(table, where, [name_column, sequence_column])
    rows = _data_rows(table)
    if rows.size == 0:
        raise _no_records(where)
    names = _check_names(table, rows, where, name_column)
    seqs = _check_sequences(table, rows, names, where, sequence_column, seq_len, n_policy)
    return pd.DataFrame({"name": names, "sequence": seqs})


def read_agarwal_replicates(
    path: str | os.PathLike,
    sheet: str | None = None,
    *,
    name_column: str = "name",
    replicate_columns: list[str] = REPLICATE_COLUMNS,
    mean_column: str | None = MEAN_COLUMN,
) -> pd.DataFrame:
    """Read Agarwal Supplementary Table 4 (the measurements).

    Returns columns ``name, rep_1 .. rep_k, mean`` (float64), ``rep_j`` from
    ``replicate_columns[j - 1]``. An empty cell or ``NA``/``nan``/``N/A``/``#N/A`` is a
    replicate that was not measured and becomes NaN (likewise an empty ``mean``;
    ``mean_column=None`` gives an all-NaN ``mean``). Errors name the file, row, column and
    record for a non-numeric or infinite cell, and the file and column for a column that is
    absent; empty and repeated names are errors too.
    """
    table, where = _read_table(path, sheet)
    wanted = [name_column, *replicate_columns] + ([mean_column] if mean_column is not None else [])
    _require_columns(table, where, wanted)
    rows = _data_rows(table)
    if rows.size == 0:
        raise _no_records(where)
    names = _check_names(table, rows, where, name_column)
    out = {"name": names}
    for j, col in enumerate(replicate_columns, start=1):
        out[f"rep_{j}"] = _parse_numbers(table, rows, names, where, col, allow_missing=True)
    if mean_column is not None:
        out["mean"] = _parse_numbers(table, rows, names, where, mean_column, allow_missing=True)
    else:
        out["mean"] = np.full(len(names), np.nan)
    return pd.DataFrame(out)


def replicate_std(replicates: np.ndarray, min_replicates: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Sample std (ddof=1) over the available (non-NaN) replicates of each row.

    Returns ``(std, n_available)``; ``std`` is NaN where fewer than ``min_replicates``
    (and always fewer than 2) replicates are available.
    """
    reps = np.asarray(replicates, dtype=np.float64)
    n = np.sum(~np.isnan(reps), axis=1)
    std = np.full(len(reps), np.nan)
    ok = n >= max(2, min_replicates)
    if ok.any():
        std[ok] = np.nanstd(reps[ok], axis=1, ddof=1)
    return std, n


def replicate_columns_of(table: pd.DataFrame) -> list[str]:
    """The ``rep_<j>`` columns of a parsed table, in order."""
    cols = [c for c in table.columns if re.fullmatch(r"rep_\d+", str(c))]
    return sorted(cols, key=lambda c: int(c.split("_")[1]))


def merge_lentimpra(
    sequences: pd.DataFrame,
    replicates: pd.DataFrame,
    *,
    aleatoric: bool,
    min_replicates: int = 2,
    reverse_pattern: str = DEFAULT_REVERSE_PATTERN,
    max_unmatched_fraction: float = 0.05,
    source: str = "",
) -> tuple[pd.DataFrame, dict]:
    """Join Table 3 (sequences) with Table 4 (replicates) on the record name.

    Matching: names are first matched exactly. Names left over on both sides are matched
    again after normalising the reverse suffix (``X_Reversed_0`` and ``X_Reversed:`` both
    become ``X_Reversed``), when that gives exactly one partner on each side: this resolves
    the HepG2 records called ``X_Reversed_0`` in Table 3 and ``X_Reversed`` in Table 4.

    Targets, per matched record:

    * ``activity`` = Table 4's ``mean``; when ``mean`` is empty but replicates exist, the mean
      of the available replicates (counted as ``n_mean_recomputed``);
    * ``aleatoric`` (only when ``aleatoric=True``) = sample standard deviation (ddof=1) over
      the available replicates, as in the paper;
    * ``n_replicates`` = how many replicates were measured.

    Dropped, and counted in the report (with up to 10 example names each):

    * records with neither a mean nor any replicate (``n_dropped_missing_activity``);
    * with ``aleatoric=True``, records with fewer than ``min_replicates`` replicates, whose
      standard deviation is undefined or meaningless (``n_dropped_few_replicates``; the
      paper's Methods keep records with at least 2 replicates).

    Unmatched names on either side are dropped and counted; if more than
    ``max_unmatched_fraction`` of the measurements lack a sequence, or of the sequences lack a
    measurement, that is a DeguInputError naming ``source`` and showing example IDs: the two
    tables most likely do not belong together (other cell type, other naming).

    Returns the kept records (columns ``name, sequence, activity, [aleatoric,] n_replicates``,
    in the order of ``sequences``, named as in ``sequences``) and the report dict.
    """
    label = source or "lentiMPRA tables"
    for what, df, cols in (
        ("sequences", sequences, ["name", "sequence"]),
        ("replicates", replicates, ["name"]),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DeguInputError(f"{label}: {what} table lacks column(s) {missing}")
    rep_cols = replicate_columns_of(replicates)
    if aleatoric and min_replicates < 2:
        raise DeguInputError(
            f"{label}: min_replicates must be at least 2 to estimate a standard deviation, got {min_replicates}"
        )
    if not 0 <= max_unmatched_fraction <= 1:
        raise DeguInputError(f"max_unmatched_fraction must be in [0, 1], got {max_unmatched_fraction}")
    for what, df in (("sequences", sequences), ("replicates", replicates)):
        dup = df["name"][df["name"].duplicated()]
        if len(dup):
            raise DeguInputError(f"{label}: duplicate name '{dup.iloc[0]}' in the {what} table")

    seq_names = sequences["name"].astype(str).tolist()
    rep_names = replicates["name"].astype(str).tolist()
    rep_index = {n: i for i, n in enumerate(rep_names)}
    match: dict[int, int] = {}  # sequences row -> replicates row
    for i, n in enumerate(seq_names):
        j = rep_index.get(n)
        if j is not None:
            match[i] = j
    n_exact = len(match)
    # retry the leftovers with the reverse suffix normalised, when that is unambiguous
    used = set(match.values())
    left_seq: dict[str, list[int]] = {}
    for i, n in enumerate(seq_names):
        if i not in match:
            left_seq.setdefault(normalised_name(n, reverse_pattern), []).append(i)
    left_rep: dict[str, list[int]] = {}
    for j, n in enumerate(rep_names):
        if j not in used:
            left_rep.setdefault(normalised_name(n, reverse_pattern), []).append(j)
    for key, seq_rows in left_seq.items():
        rep_rows = left_rep.get(key, [])
        if len(seq_rows) == 1 and len(rep_rows) == 1:
            match[seq_rows[0]] = rep_rows[0]
    n_suffix = len(match) - n_exact
    used = set(match.values())
    seq_unmatched = [n for i, n in enumerate(seq_names) if i not in match]
    rep_unmatched = [n for j, n in enumerate(rep_names) if j not in used]

    n_seq, n_rep = len(seq_names), len(rep_names)
    if n_seq == 0 or n_rep == 0:
        raise DeguInputError(f"{label}: {'sequences' if n_seq == 0 else 'replicates'} table has no records")
    frac_rep = len(rep_unmatched) / n_rep
    frac_seq = len(seq_unmatched) / n_seq
    if frac_rep > max_unmatched_fraction or frac_seq > max_unmatched_fraction:
        raise DeguInputError(
            f"{label}: IDs that don't match between the sequence and measurement tables: "
            f"{len(rep_unmatched)} of {n_rep} measurements have no sequence "
            f"(e.g. {rep_unmatched[:5]}), {len(seq_unmatched)} of {n_seq} sequences have no "
            f"measurement (e.g. {seq_unmatched[:5]}); more than max_unmatched_fraction="
            f"{max_unmatched_fraction} unmatched (are these the tables of the same cell type?)"
        )

    order = np.array(sorted(match), dtype=np.int64)
    partner = np.array([match[i] for i in order], dtype=np.int64)
    reps = replicates[rep_cols].to_numpy(dtype=np.float64)[partner] if rep_cols else np.zeros((len(order), 0))
    mean = (
        replicates["mean"].to_numpy(dtype=np.float64)[partner]
        if "mean" in replicates.columns
        else np.full(len(order), np.nan)
    )
    n_avail = np.isfinite(reps).sum(axis=1)
    recompute = ~np.isfinite(mean) & (n_avail > 0)
    activity = mean.copy()
    if recompute.any():
        activity[recompute] = np.nanmean(reps[recompute], axis=1)
    missing_activity = ~np.isfinite(activity)
    few = (n_avail < min_replicates) & ~missing_activity if aleatoric else np.zeros(len(order), dtype=bool)
    keep = ~missing_activity & ~few
    names_matched = [seq_names[i] for i in order]

    out = pd.DataFrame(
        {
            "name": [names_matched[k] for k in np.flatnonzero(keep)],
            "sequence": sequences["sequence"].to_numpy()[order[keep]],
            "activity": activity[keep],
        }
    )
    if aleatoric:
        out["aleatoric"] = replicate_std(reps[keep], min_replicates)[0]
    out["n_replicates"] = n_avail[keep].astype(np.int64)

    def examples(mask) -> list[str]:
        return [names_matched[k] for k in np.flatnonzero(mask)[:N_EXAMPLES]]

    report = {
        "n_sequences": n_seq,
        "n_measured": n_rep,
        "n_matched": len(match),
        "n_matched_after_suffix_normalisation": n_suffix,
        "n_measurements_without_sequence": len(rep_unmatched),
        "n_sequences_without_measurement": len(seq_unmatched),
        "n_mean_recomputed": int((recompute & keep).sum()),
        "n_dropped_missing_activity": int(missing_activity.sum()),
        "n_dropped_few_replicates": int(few.sum()),
        "n_kept": int(keep.sum()),
        "examples_measurements_without_sequence": rep_unmatched[:N_EXAMPLES],
        "examples_sequences_without_measurement": seq_unmatched[:N_EXAMPLES],
        "examples_matched_after_suffix_normalisation": [
            seq_names[i] for i in sorted(match) if seq_names[i] != rep_names[match[i]]
        ][:N_EXAMPLES],
        "examples_dropped_missing_activity": examples(missing_activity),
        "examples_dropped_few_replicates": examples(few),
    }
    if report["n_kept"] == 0:
        raise DeguInputError(
            f"{label}: no records left after merging ({len(match)} matched, "
            f"{report['n_dropped_missing_activity']} without activity, "
            f"{report['n_dropped_few_replicates']} with fewer than {min_replicates} replicates)"
        )
    return out, report


# --------------------------------------------------------------------------- generic table


def read_generic_table(
    path: str | os.PathLike,
    *,
    sheet: str | None = None,
    id_column: str,
    sequence_column: str,
    activity_columns: list[str],
    replicate_columns: list[str] | None = None,
    seq_len: int | None,
    n_policy: str = "zeros",
) -> pd.DataFrame:
    """Read a user's own MPRA table: one row per sequence.

    Returns columns ``name, sequence`` (uppercased), ``activity_<col>`` (float64) for each of
    ``activity_columns`` and, when ``replicate_columns`` is given, ``rep_1 .. rep_k``
    (float64; an empty/NA cell is a missing replicate and becomes NaN). An activity value
    must be present and finite. Errors name the file, row, column and record as for the
    Agarwal tables. For the re-split ``test_HepG2.tsv.gz``: ``id_column="seq_id",
    sequence_column="seq", activity_columns=["mean_value"], seq_len=230`` (reverse IDs end
    ``_Reversed:``; :func:`pair_stem` gives the shared stem).
    """
    if not activity_columns:
        raise DeguInputError(f"{path}: at least one activity column is needed")
    table, where = _read_table(path, sheet)
    _require_columns(
        table, where, [id_column, sequence_column, *activity_columns, *(replicate_columns or [])]
    )
    rows = _data_rows(table)
    if rows.size == 0:
        raise _no_records(where)
    names = _check_names(table, rows, where, id_column)
    seqs = _check_sequences(table, rows, names, where, sequence_column, seq_len, n_policy)
    out = {"name": names, "sequence": seqs}
    for col in activity_columns:
        out[f"activity_{col}"] = _parse_numbers(table, rows, names, where, col, allow_missing=False)
    for j, col in enumerate(replicate_columns or [], start=1):
        out[f"rep_{j}"] = _parse_numbers(table, rows, names, where, col, allow_missing=True)
    return pd.DataFrame(out)
