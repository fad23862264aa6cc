"""FASTA reading and writing with errors that name the file, line and record."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path
from degu.io.compression import open_text
from degu.io.encoding import first_invalid


@dataclass(frozen=True)
class FastaRecord:
    id: str
    seq: str
    line: int  # 1-based line number of the header


def _open_text(path: Path):
    """Plain, gzip, bzip2 or xz text, recognised by content (not by suffix); a UTF-8 BOM is dropped."""
    return open_text(path)


def _lines(fh, path: Path):
    try:
        yield from fh
    except (OSError, EOFError) as exc:  # a truncated or corrupt compressed file
        raise DeguInputError(f"{path}: cannot read: {exc}") from exc


def read_fasta(
    path: str | os.PathLike,
    *,
    length: int | None = None,
    n_policy: str = "zeros",
    unique_ids: bool = True,
) -> list[FastaRecord]:
    """Read a (single- or multi-line) FASTA file and validate every record.

    Parameters
    ----------
    length:
        If given, every sequence must have exactly this length.
    n_policy:
        ``"zeros"`` allows N/n, ``"error"`` rejects it (see :mod:`degu.io.encoding`).
    unique_ids:
        Reject a repeated record id (off for formats matched by row order).

    Raises
    ------
    DeguInputError
        On a missing header, an empty or truncated record, a wrong length, a
        character outside A/C/G/T(/N) or (``unique_ids``) a repeated identifier. The message
        names the file, the line and the record.
    """
    records = list(iter_fasta(path, length=length, n_policy=n_policy, unique_ids=unique_ids))
    if not records:
        raise DeguInputError(f"{Path(path)}: no FASTA records found")
    return records


def iter_fasta(
    path: str | os.PathLike,
    *,
    length: int | None = None,
    n_policy: str = "zeros",
    unique_ids: bool = True,
) -> Iterator[FastaRecord]:
    """The records of :func:`read_fasta` one at a time (same checks and messages), for files
    too large to hold in memory. An empty file yields nothing."""
    path = Path(path)
    seen: dict[str, int] = {}
    header: tuple[str, int] | None = None
    chunks: list[str] = []
    chunk_lines: list[int] = []

    def finish() -> FastaRecord:
        assert header is not None
        rid, hline = header
        seq = "".join(chunks)
        if not seq:
            raise DeguInputError(f"{path}:{hline}: record '{rid}' has no sequence (truncated record?)")
        bad = first_invalid(seq, n_policy)
        if bad is not None:
            # locate the line that holds the bad character
            offset, lineno = bad, chunk_lines[0]
            for chunk, cl in zip(chunks, chunk_lines, strict=True):
                if offset < len(chunk):
                    lineno = cl
                    break
                offset -= len(chunk)
            allowed = "A, C, G, T" + (" or N" if n_policy == "zeros" else "")
            raise DeguInputError(
                f"{path}:{lineno}: record '{rid}' has invalid character {seq[bad]!r} "
                f"at position {bad + 1} (allowed: {allowed}, either case)"
            )
        if length is not None and len(seq) != length:
            raise DeguInputError(
                f"{path}:{hline}: record '{rid}' has length {len(seq)}, expected {length}"
                + (" (truncated record?)" if len(seq) < length else "")
            )
        return FastaRecord(rid, seq, hline)

    with _open_text(path) as fh:
        for lineno, raw in enumerate(_lines(fh, path), start=1):
            line = raw.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None:
                    yield finish()
                rid = line[1:].strip().split()[0] if line[1:].strip() else ""
                if not rid:
                    raise DeguInputError(f"{path}:{lineno}: empty FASTA header")
                if unique_ids and rid in seen:
                    raise DeguInputError(
                        f"{path}:{lineno}: duplicate record id '{rid}' (first seen on line {seen[rid]})"
                    )
                if unique_ids:
                    seen[rid] = lineno
                header = (rid, lineno)
                chunks, chunk_lines = [], []
            elif not line.strip():
                continue
            else:
                if header is None:
                    raise DeguInputError(f"{path}:{lineno}: sequence data before the first '>' header")
                chunks.append(line.strip())
                chunk_lines.append(lineno)
    if header is not None:
        yield finish()


def write_fasta(path: str | os.PathLike, ids: list[str], seqs: list[str]) -> None:
    """Write single-line FASTA (the DeepSTARR layout) atomically."""
    if len(ids) != len(seqs):
        raise ValueError("ids and seqs differ in length")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii", newline="\n") as fh:
        for rid, seq in zip(ids, seqs, strict=True):
            fh.write(f">{rid}\n{seq}\n")
