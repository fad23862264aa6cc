"""Variant files and the reference windows around each variant.

Readers (every one returns a :class:`pandas.DataFrame`; every problem is one
:class:`~degu.errors.DeguInputError` line naming the file and the line, row or sheet):

* :func:`read_cagi5`: the CAGI5 regulatory saturation-mutagenesis files, ``.tsv`` (optionally
  compressed, also ``.txt``) or ``.xlsx`` (one sheet per locus, e.g. ``release_PKLR``; the same
  layout inside the sheet). ``##`` comment lines (six in the official files; any number is
  accepted), then the header ``#Chrom Pos Ref Alt Value Confidence``, then one SNV per row.
* :func:`read_vcf`: VCF 4.x (optionally compressed): ``##`` meta lines, the ``#CHROM POS ID
  REF ALT ...`` header, one row per ALT allele of each record.
* :func:`read_variant_table`: a ``.csv`` (commas) or other (tabs) table with columns ``chrom,
  pos, ref, alt`` and an optional ``id``.
* :func:`read_variants`: any of these, recognised by suffix and first line.

References (a variant's *span* is the stretch of known sequence that contains it):

* :class:`GenomeReference`: a genome FASTA read through pyfaidx; the span is the chromosome.
  pyfaidx writes the index ``<fasta>.fai`` next to the FASTA when it is missing or older than
  the FASTA (its normal behaviour), so the folder must be writable the first time.
* :class:`ElementReference`: a table of element sequences and their 0-based genomic start (the
  format of CAGI5's ``base_seqs_v2.csv``); the span is the chosen element.

:func:`extract_windows` cuts the reference and alternative window of every variant and gives
each variant a status (``ok`` or the reason it is not scored); see ``docs/variant-effects.md``.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io.compression import open_text, read_bytes

CAGI5_COLUMNS = ("#Chrom", "Pos", "Ref", "Alt", "Value", "Confidence")
VCF_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT")
TABLE_COLUMNS = ("chrom", "pos", "ref", "alt")
VARIANT_COLUMNS = ("id", "chrom", "pos", "ref", "alt", "line")
ELEMENT_COLUMNS = ("regulatory_element", "ref_sequence", "start_pos")
STATUSES = ("ok", "ref_mismatch", "not_snv", "unknown_chrom", "outside_reference", "edge_dropped")
EDGE_RULES = ("shift", "pad", "drop")
BASES = frozenset("ACGT")
#: windows of one chromosome closer than this are fetched from the FASTA in one read
FETCH_GAP = 100_000

_COMPRESSED = (".gz", ".bz2", ".xz")


def _suffixes(path: Path) -> list[str]:
    return [s.lower() for s in path.suffixes if s.lower() not in _COMPRESSED]


def _check_file(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: file not found")
    return path


# --------------------------------------------------------------------------- CAGI5


def cagi5_sheet(set_name: str, locus: str) -> str:
    """The sheet (and file stem) of one CAGI5 set and locus: ``release_PKLR``."""
    return f"{set_name}_{locus}"


def _excel_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _excel_rows(path: Path, sheet: str | None) -> tuple[list[tuple[int, list[str]]], str]:
    """``(1-based Excel row, cells)`` of one sheet, and the sheet's name."""
    try:
        xf = pd.ExcelFile(io.BytesIO(read_bytes(path)), engine="openpyxl")
    except DeguInputError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, openpyxl errors, ...
        raise DeguInputError(f"{path}: cannot read as an Excel workbook: {exc}") from exc
    with xf:
        names = [str(s) for s in xf.sheet_names]
        if sheet is None:
            if len(names) != 1:
                raise DeguInputError(
                    f"{path}: the workbook has {len(names)} sheets; name one (--sheet): {', '.join(names)}"
                )
            sheet = names[0]
        elif sheet not in names:
            raise DeguInputError(f"{path}: no sheet named '{sheet}'; sheets present: {', '.join(names)}")
        try:
            grid = pd.read_excel(xf, sheet_name=sheet, header=None, dtype=object)
        except Exception as exc:
            raise DeguInputError(f"{path} (sheet '{sheet}'): cannot read sheet: {exc}") from exc
    # pandas keeps leading blank rows, so row i of the grid is Excel row i + 1
    return [
        (i + 1, [_excel_cell(v) for v in row]) for i, row in enumerate(grid.itertuples(index=False))
    ], sheet


def _text_rows(path: Path) -> list[tuple[int, list[str]]]:
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeguInputError(f"{path}: not UTF-8 text ({exc})") from exc
    return [(i + 1, [c.strip() for c in line.split("\t")]) for i, line in enumerate(text.splitlines())]


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and cells[end - 1] == "":
        end -= 1
    return cells[:end]


def _positive_int(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_cagi5(path, sheet: str | None = None) -> pd.DataFrame:
    """One CAGI5 file or workbook sheet: columns ``chrom`` (str, as written, e.g. ``"1"``),
    ``pos`` (int, 1-based), ``ref``, ``alt`` (upper-case bases), ``value``, ``confidence``
    (float) and ``line`` (the 1-based line of the text file, or the Excel row).

    ``sheet``: the workbook's sheet (needed when it has more than one; :func:`cagi5_sheet`).
    ``df.attrs`` holds ``path`` and ``sheet``. Errors (one line, naming the file and the line
    or sheet and row): no ``#Chrom`` header, other columns, a ``Pos`` that is not a positive
    integer, a ``Ref``/``Alt`` that is not one base A, C, G or T (CAGI5 lists SNVs only),
    ``Ref`` equal to ``Alt``, a non-numeric ``Value``, a ``Confidence`` outside [0, 1], no
    rows, and a variant (chrom, pos, alt) listed twice.
    """
    path = _check_file(path)
    if _suffixes(path)[-1:] == [".xlsx"]:
        rows, sheet = _excel_rows(path, sheet)

        def where(n: int) -> str:
            return f"{path} (sheet '{sheet}', row {n})"

        file = f"{path} (sheet '{sheet}')"
    else:
        if sheet is not None:
            raise DeguInputError(f"{path}: a sheet ('{sheet}') was given but this is not an .xlsx workbook")
        rows = _text_rows(path)

        def where(n: int) -> str:
            return f"{path}:{n}"

        file = str(path)
    it = iter(rows)
    header = None
    for n, cells in it:
        cells = _trim(cells)
        if not cells or cells[0].startswith("##"):
            continue
        header = (n, cells)
        break
    if header is None:
        raise DeguInputError(f"{file}: no '#Chrom' header line (expected {' '.join(CAGI5_COLUMNS)})")
    n, cells = header
    if not cells[0].startswith("#Chrom"):
        raise DeguInputError(
            f"{where(n)}: expected the CAGI5 header '{' '.join(CAGI5_COLUMNS)}' after the ## lines, "
            f"found '{' '.join(cells)[:80]}'"
        )
    if tuple(cells) != CAGI5_COLUMNS:
        raise DeguInputError(f"{where(n)}: columns {cells}, expected {list(CAGI5_COLUMNS)}")
    out: dict[str, list] = {k: [] for k in ("chrom", "pos", "ref", "alt", "value", "confidence", "line")}
    first: dict[tuple[str, int, str], int] = {}
    for n, cells in it:
        cells = _trim(cells)
        if not cells:
            continue
        at = where(n)
        if len(cells) != len(CAGI5_COLUMNS):
            raise DeguInputError(
                f"{at}: {len(cells)} field(s), expected {len(CAGI5_COLUMNS)} ({' '.join(CAGI5_COLUMNS)})"
            )
        chrom, pos_s, ref, alt, value_s, conf_s = cells
        if not chrom:
            raise DeguInputError(f"{at}: empty #Chrom")
        pos = _positive_int(pos_s)
        if pos is None:
            raise DeguInputError(f"{at}: Pos '{pos_s}' is not a positive integer")
        ref, alt = ref.upper(), alt.upper()
        for name, allele in (("Ref", ref), ("Alt", alt)):
            if allele not in BASES:
                raise DeguInputError(
                    f"{at}: {name} '{allele}' is not one base A, C, G or T (CAGI5 lists SNVs only)"
                )
        if ref == alt:
            raise DeguInputError(f"{at}: Ref and Alt are both '{ref}'")
        value = _float(value_s)
        if value is None:
            raise DeguInputError(f"{at}: Value '{value_s}' is not a number")
        conf = _float(conf_s)
        if conf is None or not 0.0 <= conf <= 1.0:
            raise DeguInputError(f"{at}: Confidence '{conf_s}' is not a number in [0, 1]")
        key = (chrom, pos, alt)
        if key in first:
            raise DeguInputError(
                f"{at}: variant {chrom}:{pos} {ref}>{alt} is listed twice (first at "
                + (f"row {first[key]})" if file != str(path) else f"line {first[key]})")
            )
        first[key] = n
        for k, v in zip(out, (chrom, pos, ref, alt, value, conf, n), strict=True):
            out[k].append(v)
    if not out["line"]:
        raise DeguInputError(f"{file}: no variants after the header")
    table = pd.DataFrame(out).astype(
        {"pos": np.int64, "line": np.int64, "value": np.float64, "confidence": np.float64}
    )
    table.attrs.update(path=str(path), sheet=sheet, format="cagi5")
    return table


# --------------------------------------------------------------------------- VCF and tables


def _allele(text: str) -> str:
    """Base alleles upper-cased; symbolic ones (``<DEL>``, ``*``, breakends) as written."""
    return text.upper() if text.isalpha() else text


def read_vcf(path) -> pd.DataFrame:
    """Variants of a VCF 4.x file: columns ``id`` (``""`` for ``.``), ``chrom``, ``pos``
    (1-based), ``ref``, ``alt`` and ``line``; one row per ALT allele (a multi-allelic record's
    rows share its ID and line). Indels and symbolic alleles are kept as written (they are not
    scored: status ``not_snv``). Errors name the file and line: no ``#CHROM`` header before the
    first record, fewer than five fields, a POS that is not a positive integer, an empty REF or
    ALT, no records."""
    path = _check_file(path)
    out: dict[str, list] = {k: [] for k in VARIANT_COLUMNS}
    seen_header = False
    try:
        with open_text(path) as fh:
            for n, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                if line.startswith("##") or not line.strip():
                    continue
                fields = [f.strip() for f in line.split("\t")]
                if line.startswith("#"):
                    if tuple(fields[:5]) != VCF_COLUMNS:
                        raise DeguInputError(
                            f"{path}:{n}: header {fields[:5]}, expected it to start {list(VCF_COLUMNS)}"
                        )
                    seen_header = True
                    continue
                if not seen_header:
                    raise DeguInputError(
                        f"{path}:{n}: a record before the '#CHROM POS ID REF ALT' header line"
                    )
                if len(fields) < 5:
                    raise DeguInputError(
                        f"{path}:{n}: {len(fields)} field(s), expected at least 5 (CHROM POS ID REF ALT)"
                    )
                chrom, pos_s, vid, ref, alts = fields[:5]
                pos = _positive_int(pos_s)
                if not chrom:
                    raise DeguInputError(f"{path}:{n}: empty CHROM")
                if pos is None:
                    raise DeguInputError(f"{path}:{n}: POS '{pos_s}' is not a positive integer")
                if not ref or not alts:
                    raise DeguInputError(f"{path}:{n}: empty REF or ALT")
                for alt in alts.split(","):
                    if not alt:
                        raise DeguInputError(f"{path}:{n}: empty allele in ALT '{alts}'")
                    for k, v in zip(
                        VARIANT_COLUMNS,
                        ("" if vid == "." else vid, chrom, pos, _allele(ref), _allele(alt), n),
                        strict=True,
                    ):
                        out[k].append(v)
    except (OSError, EOFError) as exc:
        raise DeguInputError(f"{path}: cannot read: {exc}") from exc
    if not seen_header:
        raise DeguInputError(f"{path}: no '#CHROM POS ID REF ALT' header line (not a VCF?)")
    if not out["line"]:
        raise DeguInputError(f"{path}: no variant records after the header")
    table = pd.DataFrame(out).astype({"pos": np.int64, "line": np.int64})
    table.attrs.update(path=str(path), sheet=None, format="vcf")
    return table


def read_variant_table(path) -> pd.DataFrame:
    """A table with columns ``chrom, pos, ref, alt`` and optionally ``id`` (header names are
    matched without case and a leading ``#``; other columns are ignored): ``.csv`` is
    comma-separated, anything else tab-separated, optionally compressed. Same output as
    :func:`read_vcf`; errors name the file and line."""
    path = _check_file(path)
    delimiter = "," if _suffixes(path)[-1:] == [".csv"] else "\t"
    out: dict[str, list] = {k: [] for k in VARIANT_COLUMNS}
    try:
        with open_text(path) as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = None
            for row in reader:
                if any(c.strip() for c in row):
                    header = [c.strip() for c in row]
                    break
            if header is None:
                raise DeguInputError(
                    f"{path}: file is empty (expected a header row with {', '.join(TABLE_COLUMNS)})"
                )
            names = [h.lstrip("#").lower() for h in header]
            missing = [c for c in TABLE_COLUMNS if c not in names]
            if missing:
                raise DeguInputError(
                    f"{path}:{reader.line_num}: missing column(s) {', '.join(missing)}; "
                    f"columns present: {header} (expected {', '.join(TABLE_COLUMNS)} and optionally id)"
                )
            idx = {c: names.index(c) for c in (*TABLE_COLUMNS, "id") if c in names}
            width = max(idx.values()) + 1
            for row in reader:
                n = reader.line_num
                if not any(c.strip() for c in row):
                    continue
                if len(row) < width:
                    raise DeguInputError(f"{path}:{n}: {len(row)} field(s), expected {len(header)}")
                cell = {c: row[j].strip() for c, j in idx.items()}
                pos = _positive_int(cell["pos"])
                if not cell["chrom"]:
                    raise DeguInputError(f"{path}:{n}: empty chrom")
                if pos is None:
                    raise DeguInputError(f"{path}:{n}: pos '{cell['pos']}' is not a positive integer")
                if not cell["ref"] or not cell["alt"]:
                    raise DeguInputError(f"{path}:{n}: empty ref or alt")
                values = (
                    cell.get("id", ""),
                    cell["chrom"],
                    pos,
                    _allele(cell["ref"]),
                    _allele(cell["alt"]),
                    n,
                )
                for k, v in zip(VARIANT_COLUMNS, values, strict=True):
                    out[k].append(v)
    except csv.Error as exc:
        raise DeguInputError(f"{path}: malformed table: {exc}") from exc
    except (OSError, EOFError) as exc:
        raise DeguInputError(f"{path}: cannot read: {exc}") from exc
    if not out["line"]:
        raise DeguInputError(f"{path}: no variants after the header")
    table = pd.DataFrame(out).astype({"pos": np.int64, "line": np.int64})
    table.attrs.update(path=str(path), sheet=None, format="table")
    return table


def variant_format(path) -> str:
    """``cagi5`` (an ``.xlsx``, or a first non-blank line starting ``##Chrom`` or ``#Chrom``),
    ``vcf`` (``##fileformat=VCF`` or ``#CHROM``) or ``table``."""
    path = _check_file(path)
    if _suffixes(path)[-1:] == [".xlsx"]:
        return "cagi5"
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    first = line.lstrip()
                    if first.startswith(("##Chrom", "#Chrom")):
                        return "cagi5"
                    if first.startswith(("##fileformat=VCF", "#CHROM")):
                        return "vcf"
                    return "table"
    except (OSError, EOFError) as exc:
        raise DeguInputError(f"{path}: cannot read: {exc}") from exc
    raise DeguInputError(f"{path}: file is empty (expected CAGI5, VCF or a chrom/pos/ref/alt table)")


def read_variants(path, sheet: str | None = None) -> pd.DataFrame:
    """Any variant file (:func:`variant_format`): columns ``id, chrom, pos, ref, alt, line``,
    plus ``value, confidence`` for CAGI5 (whose ``id`` is empty). ``df.attrs["format"]`` says
    which reader was used."""
    kind = variant_format(path)
    if kind == "cagi5":
        table = read_cagi5(path, sheet)
        table.insert(0, "id", "")
        return table[[*VARIANT_COLUMNS, "value", "confidence"]]
    if sheet is not None:
        raise DeguInputError(f"{path}: a sheet ('{sheet}') was given but this is not an .xlsx workbook")
    return read_vcf(path) if kind == "vcf" else read_variant_table(path)


def variant_id(chrom, start0: int, end0: int, ref: str, alt: str) -> str:
    """``chr<chrom>:<start>-<end>/<ref>><alt>`` (the CAGI5 authors' identifier; 0-based window
    start and end); a ``chrom`` already starting with ``chr`` keeps its name."""
    chrom = str(chrom)
    name = chrom if chrom.startswith("chr") else f"chr{chrom}"
    return f"{name}:{int(start0)}-{int(end0)}/{ref}>{alt}"


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Span:
    """A stretch of known reference sequence: ``key`` for :meth:`fetch`, genomic 0-based
    ``[start, end)``."""

    key: str
    start: int
    end: int


def index_fasta(path) -> Path:
    """Write the pyfaidx index ``<path>.fai`` of a genome FASTA once, in the job that writes
    the FASTA, so that jobs reading it in parallel never build (and overwrite) it at the same
    time. Returns the index's path."""
    import pyfaidx

    try:
        pyfaidx.Faidx(str(path)).close()
    except (pyfaidx.FastaIndexingError, ValueError, OSError) as exc:
        raise DeguInputError(f"{path}: cannot index the FASTA ({exc})") from None
    return Path(f"{path}.fai")


class GenomeReference:
    """A genome FASTA read through pyfaidx (one open file for all variants).

    Chromosome names resolve as written, else with ``chr`` added, else with ``chr`` removed
    (``1`` -> ``chr1``, ``chrX`` -> ``X``); the mitochondrial names ``MT``, ``M``, ``chrM`` and
    ``chrMT`` stand for each other. A chromosome that resolves to none is the per-variant
    status ``unknown_chrom``. pyfaidx writes ``<fasta>.fai`` beside the FASTA when it is
    missing or older than the FASTA.
    """

    def __init__(self, fasta_path):
        import pyfaidx

        self.path = _check_file(fasta_path)
        try:
            self._fasta = pyfaidx.Fasta(str(self.path), as_raw=True, sequence_always_upper=False)
        except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat) as exc:
            raise DeguInputError(f"{self.path}: cannot index the FASTA: {_one_line(exc)}") from exc
        except ImportError as exc:  # pyfaidx reads bgzip FASTA through biopython only
            raise DeguInputError(
                f"{self.path}: a compressed FASTA ({_one_line(exc)}); decompress it first"
            ) from exc
        except PermissionError as exc:
            raise DeguInputError(
                f"{self.path}: cannot write its index {self.path}.fai ({exc.strerror}); "
                "index it once where it is writable (samtools faidx) or copy the FASTA"
            ) from exc
        except (OSError, ValueError, RuntimeError) as exc:  # duplicate names, bad gzip, ...
            raise DeguInputError(f"{self.path}: cannot read the FASTA: {_one_line(exc)}") from exc
        self.lengths = {name: len(rec) for name, rec in self._fasta.items()}
        self._resolved: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return f"GenomeReference({str(self.path)!r})"

    def resolve(self, chrom: str) -> str | None:
        """The FASTA's name for ``chrom``, or None."""
        chrom = str(chrom)
        if chrom not in self._resolved:
            tries = [chrom, f"chr{chrom}"]
            if chrom.startswith("chr"):
                tries.append(chrom[3:])
            if chrom in ("MT", "M", "chrM", "chrMT"):
                tries += ["chrM", "MT", "M", "chrMT"]
            self._resolved[chrom] = next((t for t in tries if t in self.lengths), None)
        return self._resolved[chrom]

    def span(self, chrom: str, element: str | None = None) -> Span | None:
        """The chromosome holding ``chrom`` (``element`` is not used)."""
        name = self.resolve(chrom)
        return None if name is None else Span(name, 0, self.lengths[name])

    def check_element(self, element: str | None) -> None:
        """Nothing to check: a genome has no elements."""

    def fetch(self, key: str, start: int, end: int) -> str:
        """Bases ``[start, end)`` (0-based) of sequence ``key``, case as in the file."""
        try:
            return self._fasta[key][start:end]
        except (OSError, ValueError) as exc:
            raise DeguInputError(f"{self.path}: cannot read {key}:{start}-{end}: {_one_line(exc)}") from exc

    def close(self) -> None:
        self._fasta.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class ElementReference:
    """Element sequences with their genomic start, in the format of CAGI5's
    ``base_seqs_v2.csv``: columns ``regulatory_element, ref_sequence, start_pos`` (``start_pos``
    0-based; a variant at 1-based ``Pos`` sits at index ``Pos - 1 - start_pos``). ``.csv`` is
    comma-separated, other suffixes tab-separated. The variants' chromosome is not checked (the
    table has none): the caller names the element. Errors name the file and line: missing
    columns, an empty or repeated name, a ``start_pos`` that is not an integer >= 0, an empty
    sequence or one with a character other than A, C, G, T, N (either case)."""

    def __init__(self, table_path):
        self.path = _check_file(table_path)
        delimiter = "," if _suffixes(self.path)[-1:] == [".csv"] else "\t"
        self.sequences: dict[str, str] = {}
        self.starts: dict[str, int] = {}
        self.lines: dict[str, int] = {}
        try:
            with open_text(self.path) as fh:
                reader = csv.reader(fh, delimiter=delimiter)
                header = next((r for r in reader if any(c.strip() for c in r)), None)
                if header is None:
                    raise DeguInputError(
                        f"{self.path}: file is empty (expected {', '.join(ELEMENT_COLUMNS)})"
                    )
                header = [c.strip() for c in header]
                missing = [c for c in ELEMENT_COLUMNS if c not in header]
                if missing:
                    raise DeguInputError(
                        f"{self.path}:{reader.line_num}: missing column(s) {', '.join(missing)}; "
                        f"columns present: {header}"
                    )
                j = [header.index(c) for c in ELEMENT_COLUMNS]
                for row in reader:
                    n = reader.line_num
                    if not any(c.strip() for c in row):
                        continue
                    if len(row) <= max(j):
                        raise DeguInputError(f"{self.path}:{n}: {len(row)} field(s), expected {len(header)}")
                    name, seq, start_s = (row[k].strip() for k in j)
                    if not name:
                        raise DeguInputError(f"{self.path}:{n}: empty regulatory_element")
                    if name in self.sequences:
                        raise DeguInputError(
                            f"{self.path}:{n}: element '{name}' is listed twice (first at line {self.lines[name]})"
                        )
                    if not start_s.isdigit():
                        raise DeguInputError(f"{self.path}:{n}: start_pos '{start_s}' is not an integer >= 0")
                    if not seq:
                        raise DeguInputError(f"{self.path}:{n}: element '{name}' has an empty ref_sequence")
                    bad = next((i for i, ch in enumerate(seq) if ch not in "ACGTNacgtn"), None)
                    if bad is not None:
                        raise DeguInputError(
                            f"{self.path}:{n}: element '{name}' has invalid character {seq[bad]!r} at "
                            f"position {bad + 1} of ref_sequence (allowed: A, C, G, T, N, either case)"
                        )
                    self.sequences[name], self.starts[name], self.lines[name] = seq, int(start_s), n
        except csv.Error as exc:
            raise DeguInputError(f"{self.path}: malformed table: {exc}") from exc
        except (OSError, EOFError) as exc:
            raise DeguInputError(f"{self.path}: cannot read: {exc}") from exc
        if not self.sequences:
            raise DeguInputError(f"{self.path}: no elements after the header")

    def __repr__(self) -> str:
        return f"ElementReference({str(self.path)!r})"

    def check_element(self, element: str | None) -> None:
        """One-line error unless ``element`` names a row of the table."""
        if element is None:
            raise DeguInputError(
                f"{self.path}: name the element the variants lie in (--element); "
                f"elements: {', '.join(self.sequences)}"
            )
        if element not in self.sequences:
            raise DeguInputError(
                f"{self.path}: no element '{element}'; elements: {', '.join(self.sequences)}"
            )

    def span(self, chrom: str, element: str | None = None) -> Span | None:
        """The element ``element`` (``chrom`` is not used)."""
        self.check_element(element)
        start = self.starts[element]
        return Span(element, start, start + len(self.sequences[element]))

    def fetch(self, key: str, start: int, end: int) -> str:
        """Bases ``[start, end)`` (genomic, 0-based) of element ``key``."""
        offset = self.starts[key]
        return self.sequences[key][start - offset : end - offset]

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- windows


def _is_snv(ref: str, alt: str) -> bool:
    return len(ref) == 1 and len(alt) == 1 and ref.upper() in BASES and alt.upper() in BASES


def extract_windows(
    variants: pd.DataFrame,
    reference,
    *,
    length: int,
    index: int,
    element: str | None = None,
    edge: str = "shift",
) -> tuple[list[str], list[str], pd.DataFrame]:
    """Reference and alternative windows of ``length`` bases, the variant at ``index``
    (0-based) of a centred window.

    ``variants``: columns ``chrom``, ``pos`` (1-based), ``ref``, ``alt`` (more are kept).
    ``reference``: a :class:`GenomeReference` or :class:`ElementReference`; ``element`` names
    the element of an element table (a genome ignores it).

    Returns ``(ref_seqs, alt_seqs, table)``: the windows (upper-case) of the variants whose
    status is ``ok``, in table order, and a copy of ``variants`` with ``status``,
    ``window_start`` (0-based genomic start, -1 when not scored), ``window_index`` (the
    variant's index in its window, -1 when not scored), ``edge`` (True when the centred
    window runs past the span) and ``ref_base`` (the reference's base at the variant,
    upper-case; ``""`` when none). Statuses, first that applies: ``not_snv`` (not one base
    A/C/G/T each), ``unknown_chrom``, ``outside_reference`` (the variant is not in the span,
    or the span is shorter than ``length``), ``ref_mismatch`` (the reference's base,
    soft-masked lowercase upper-cased, differs from ``ref``; an N at the variant is a
    mismatch), ``edge_dropped`` (edge rule ``drop``), else ``ok``.

    Edge rule for a centred window that runs past the span (element or chromosome end):
    ``shift`` moves it inside the span (``window_index`` says where the variant is), ``pad``
    fills the missing bases with N, ``drop`` does not score the variant. An N elsewhere in
    the window is kept (the model's N policy decides).
    """
    if edge not in EDGE_RULES:
        raise DeguInputError(f"edge rule '{edge}': choose one of {', '.join(EDGE_RULES)}")
    if length < 1 or not 0 <= index < length:
        raise DeguInputError(f"window index {index} is not inside a window of length {length}")
    missing = [c for c in ("chrom", "pos", "ref", "alt") if c not in variants.columns]
    if missing:
        raise DeguInputError(f"variant table lacks column(s) {', '.join(missing)}")
    reference.check_element(element)
    n = len(variants)
    status = np.full(n, "ok", dtype=object)
    wstart = np.full(n, -1, dtype=np.int64)
    windex = np.full(n, -1, dtype=np.int64)
    is_edge = np.zeros(n, dtype=bool)
    ref_base = np.full(n, "", dtype=object)
    # pass 1: status without the sequence, the window, and the stretch to read
    todo: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # key -> (row, read start, read end)
    spans: dict[int, Span] = {}
    chroms = variants["chrom"].astype(str).to_numpy()
    positions = variants["pos"].to_numpy(dtype=np.int64)
    refs = variants["ref"].astype(str).to_numpy()
    alts = variants["alt"].astype(str).to_numpy()
    for i in range(n):
        span = reference.span(chroms[i], element)
        p = int(positions[i]) - 1
        inside = span is not None and span.start <= p < span.end
        if not _is_snv(refs[i], alts[i]):
            status[i] = "not_snv"
        elif span is None:
            status[i] = "unknown_chrom"
        elif not inside or span.end - span.start < length:
            status[i] = "outside_reference"
        if not inside:
            continue
        spans[i] = span
        ws = p - index
        is_edge[i] = ws < span.start or ws + length > span.end
        if is_edge[i] and edge == "shift":
            ws = min(max(ws, span.start), span.end - length)
        wstart[i], windex[i] = ws, p - ws
        todo[span.key].append((i, max(ws, span.start), min(ws + length, span.end)))
    # pass 2: read each span's stretches once (windows of a locus together) and cut the windows
    ref_seqs: dict[int, str] = {}
    for key, items in todo.items():
        items.sort(key=lambda t: t[1])
        block: list[tuple[int, int, int]] = []
        hi = 0
        for item in [*items, None]:
            if block and (item is None or item[1] > hi + FETCH_GAP):
                lo = block[0][1]
                text = reference.fetch(key, lo, hi).upper()
                for i, a, b in block:
                    p = int(positions[i]) - 1
                    ref_base[i] = text[p - lo]
                    if status[i] != "ok":
                        continue
                    if ref_base[i] != refs[i].upper():
                        status[i] = "ref_mismatch"
                    elif is_edge[i] and edge == "drop":
                        status[i] = "edge_dropped"
                    else:
                        ws = int(wstart[i])
                        ref_seqs[i] = "N" * (a - ws) + text[a - lo : b - lo] + "N" * (ws + length - b)
                block = []
            if item is not None:
                hi = max(hi, item[2]) if block else item[2]
                block.append(item)
    table = variants.copy()
    ok = status == "ok"
    wstart[~ok], windex[~ok] = -1, -1
    table["status"] = status
    table["window_start"] = wstart
    table["window_index"] = windex
    table["edge"] = is_edge
    table["ref_base"] = ref_base
    rows = np.flatnonzero(ok)
    refs_out = [ref_seqs[i] for i in rows]
    alts_out = [
        s[: windex[i]] + alts[i].upper() + s[windex[i] + 1 :] for i, s in zip(rows, refs_out, strict=True)
    ]
    return refs_out, alts_out, table


def count_statuses(table: pd.DataFrame) -> dict[str, int]:
    """Variants per status, every status of :data:`STATUSES` (0 included), in that order."""
    counts = table["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}
