"""bigWig and bedGraph tracks: per-base float values of a genome, with gaps where there is no data.

Conventions (documented in docs/atac.md):

* Coordinates are 0-based, half-open (BED/bedGraph): ``chr1:10-20`` is the ten bases 10..19.
* In memory a track is one float array per chromosome, one value per base, ``NaN`` where the
  file has no data. Written, a ``NaN`` base is a gap (no interval), so "no data" survives a round
  trip; a bigWig cannot tell a stored NaN from a gap and neither do these readers.
* Values are stored as float32 (the bigWig format's value type).
* Chromosomes are written in bytewise-sorted name order, the order ``bedGraphToBigWig`` wants
  its input in (``LC_COLLATE=C sort -k1,1 -k2,2n``); bedGraph input must already be sorted so.

Errors name the file: a missing file, a file that is not a bigWig (its first four bytes are
not the bigWig magic number), a truncated or corrupt bigWig, an unknown chromosome, a region
out of bounds, and, for bedGraph and chrom.sizes text, the line.

pyBigWig (libBigWig) does the binary work; it prints its own diagnostics on stderr when a file
cannot be opened, before the one-line error raised here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path

#: bigWig magic number, as the first four bytes of a little- or big-endian file
_BIGWIG_MAGIC = (bytes.fromhex("26fc8f88"), bytes.fromhex("888ffc26"))
_BIGBED_MAGIC = (bytes.fromhex("ebf28987"), bytes.fromhex("8789f2eb"))
#: zoom levels written (as bedGraphToBigWig's default of 10)
MAX_ZOOMS = 10


def sorted_names(names: Iterable[str]) -> list[str]:
    """Names in bytewise order (what ``LC_COLLATE=C sort`` gives)."""
    return sorted(names, key=lambda n: n.encode())


def _check_sizes(sizes: Mapping[str, int], what: str) -> dict[str, int]:
    out = {}
    for name, size in sizes.items():
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise DeguInputError(f"{what}: chromosome name {name!r} is empty or has white space")
        if int(size) != size or int(size) < 1:
            raise DeguInputError(
                f"{what}: chromosome '{name}' has size {size!r}, expected a positive integer"
            )
        out[name] = int(size)
    return out


# ------------------------------------------------------------------ chrom.sizes


def write_chrom_sizes(path: str | os.PathLike, sizes: Mapping[str, int]) -> None:
    """Write a UCSC ``chrom.sizes`` file (``name<TAB>size``, bytewise-sorted names), atomically."""
    sizes = _check_sizes(sizes, str(path))
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii", newline="\n") as fh:
        for name in sorted_names(sizes):
            fh.write(f"{name}\t{sizes[name]}\n")


def read_chrom_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Read a ``chrom.sizes`` file: two tab- or space-separated columns, name and size."""
    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: no such file")
    sizes: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) < 2:
                raise DeguInputError(f"{path}:{lineno}: expected 'name<TAB>size', got {line.rstrip()!r}")
            name, size = parts[0], parts[1]
            if not size.isdigit() or int(size) < 1:
                raise DeguInputError(
                    f"{path}:{lineno}: size of '{name}' must be a positive integer, got {size!r}"
                )
            if name in sizes:
                raise DeguInputError(f"{path}:{lineno}: chromosome '{name}' listed twice")
            sizes[name] = int(size)
    if not sizes:
        raise DeguInputError(f"{path}: no chromosomes listed")
    return sizes


# ------------------------------------------------------------------ reading bigWig


def _check_magic(path: Path) -> None:
    if not path.is_file():
        raise DeguInputError(f"{path}: no such file")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head in _BIGBED_MAGIC:
        raise DeguInputError(f"{path}: is a bigBed file, not a bigWig file")
    if head not in _BIGWIG_MAGIC:
        raise DeguInputError(f"{path}: not a bigWig file (it does not start with the bigWig magic number)")


class BigWig:
    """A bigWig opened for reading (use :func:`open_bigwig`)."""

    def __init__(self, path: str | os.PathLike):
        import pyBigWig

        self.path = Path(path)
        _check_magic(self.path)
        try:
            self._bw = pyBigWig.open(str(self.path))
        except RuntimeError:
            self._bw = None
        if self._bw is None or not self._bw.isBigWig():
            raise DeguInputError(
                f"{self.path}: truncated or corrupt bigWig file (its header or index cannot be read)"
            )
        self.sizes: dict[str, int] = {str(k): int(v) for k, v in self._bw.chroms().items()}

    def close(self) -> None:
        if self._bw is not None:
            self._bw.close()
            self._bw = None

    def __enter__(self) -> BigWig:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check_region(self, chrom: str, start: int, end: int) -> None:
        if chrom not in self.sizes:
            known = ", ".join(sorted_names(self.sizes)) or "none"
            raise DeguInputError(f"{self.path}: unknown chromosome '{chrom}' (chromosomes: {known})")
        size = self.sizes[chrom]
        if not 0 <= start < end <= size:
            raise DeguInputError(
                f"{self.path}: region {chrom}:{start}-{end} is out of bounds ({chrom} has {size} bp; "
                "coordinates are 0-based, half-open)"
            )

    def values(self, chrom: str, start: int = 0, end: int | None = None) -> np.ndarray:
        """Per-base float32 values of ``chrom:start-end`` (0-based, half-open), NaN where no data."""
        end = self.sizes.get(chrom, 0) if end is None else end
        start, end = int(start), int(end)
        self.check_region(chrom, start, end)
        try:
            out = self._bw.values(chrom, start, end, numpy=True)
        except RuntimeError as exc:
            raise DeguInputError(
                f"{self.path}: cannot read {chrom}:{start}-{end} (truncated or corrupt bigWig?): {exc}"
            ) from exc
        out = np.asarray(out, dtype=np.float32)
        if out.shape != (end - start,):  # libBigWig returns nothing for a file without any data
            if out.size:
                raise DeguInputError(f"{self.path}: read {out.size} values for {chrom}:{start}-{end}")
            out = np.full(end - start, np.nan, dtype=np.float32)
        return out

    def intervals(self, chrom: str) -> list[tuple[int, int, float]]:
        """The stored intervals ``(start, end, value)`` of ``chrom`` (empty where there is no data)."""
        self.check_region(chrom, 0, self.sizes[chrom] if chrom in self.sizes else 1)
        try:
            got = self._bw.intervals(chrom)
        except RuntimeError as exc:
            raise DeguInputError(
                f"{self.path}: cannot read {chrom} (truncated or corrupt bigWig?): {exc}"
            ) from exc
        return [(int(s), int(e), float(v)) for s, e, v in (got or ())]


def open_bigwig(path: str | os.PathLike) -> BigWig:
    """Open a bigWig for repeated reads (a context manager)."""
    return BigWig(path)


def chrom_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Chromosome sizes recorded in a bigWig's header."""
    with open_bigwig(path) as bw:
        return dict(bw.sizes)


def read_region(path: str | os.PathLike, chrom: str, start: int = 0, end: int | None = None) -> np.ndarray:
    """Per-base values of one region (0-based, half-open; whole chromosome by default), NaN where
    the file has no data."""
    with open_bigwig(path) as bw:
        return bw.values(chrom, start, end)


# ------------------------------------------------------------------ writing bigWig


def runs(values: np.ndarray, offset: int = 0, dtype=np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal, non-NaN values (compared as ``dtype``, float32 by default: what a bigWig
    stores): ``(starts, ends, values)`` with coordinates shifted by ``offset``. NaN bases are
    left out (gaps)."""
    v = np.asarray(values, dtype=dtype)
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if v.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype)
    nan = np.isnan(v)
    # a run starts where the value or the NaN state changes
    change = np.ones(v.size, dtype=bool)
    change[1:] = (v[1:] != v[:-1]) & ~(nan[1:] & nan[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], v.size)
    keep = ~nan[starts]
    return starts[keep] + offset, ends[keep] + offset, v[starts[keep]]


class BigWigWriter:
    """Write a bigWig chromosome by chromosome (use :func:`bigwig_writer`).

    Entries must come in the header's chromosome order (bytewise-sorted names) and, within a
    chromosome, in increasing non-overlapping positions.
    """

    def __init__(self, handle, path: Path, sizes: dict[str, int]):
        self._bw = handle
        self.path = path
        self.sizes = sizes
        self._order = {name: i for i, name in enumerate(sorted_names(sizes))}
        self._last = (-1, 0)  # (chromosome index, end of the last entry)

    def _check(self, chrom: str, start: int, end: int) -> None:
        if chrom not in self.sizes:
            raise DeguInputError(f"{self.path}: chromosome '{chrom}' is not in the chromosome sizes given")
        if not 0 <= start < end <= self.sizes[chrom]:
            raise DeguInputError(
                f"{self.path}: interval {chrom}:{start}-{end} is out of bounds ({chrom} has {self.sizes[chrom]} bp)"
            )
        key = self._order[chrom]
        if (key, start) < self._last:
            raise DeguInputError(
                f"{self.path}: interval {chrom}:{start}-{end} is out of order (chromosomes in bytewise-sorted "
                "order, intervals sorted and non-overlapping)"
            )

    def add_intervals(self, chrom: str, starts, ends, values) -> None:
        """Add intervals ``[starts[i], ends[i])`` of ``chrom`` with ``values[i]`` (NaN values skipped)."""
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        values = np.asarray(values, dtype=np.float32)
        keep = ~np.isnan(values)
        starts, ends, values = starts[keep], ends[keep], values[keep]
        if not starts.size:
            return
        if np.any(ends <= starts) or np.any(starts[1:] < ends[:-1]):
            raise DeguInputError(
                f"{self.path}: intervals of {chrom} must be non-empty, sorted and non-overlapping"
            )
        self._check(chrom, int(starts[0]), int(ends[-1]))
        self._bw.addEntries(
            [chrom] * starts.size, starts.tolist(), ends=ends.tolist(), values=values.tolist()
        )
        self._last = (self._order[chrom], int(ends[-1]))

    def add_values(self, chrom: str, start: int, values) -> None:
        """Add per-base ``values`` of ``chrom`` from ``start`` on (NaN bases are gaps)."""
        s, e, v = runs(values, offset=int(start))
        self.add_intervals(chrom, s, e, v)


@contextmanager
def bigwig_writer(path: str | os.PathLike, sizes: Mapping[str, int]) -> Iterator[BigWigWriter]:
    """Write a bigWig atomically: nothing at ``path`` unless the body completes."""
    import pyBigWig

    sizes = _check_sizes(sizes, str(path))
    if not sizes:
        raise DeguInputError(f"{path}: a bigWig needs at least one chromosome")
    with atomic_path(path) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        if handle is None:
            raise DeguInputError(f"{path}: cannot open for writing")
        try:
            handle.addHeader([(n, sizes[n]) for n in sorted_names(sizes)], maxZooms=MAX_ZOOMS)
            yield BigWigWriter(handle, Path(path), sizes)
        finally:
            handle.close()


def write_bigwig(
    path: str | os.PathLike, tracks: Mapping[str, np.ndarray], sizes: Mapping[str, int] | None = None
) -> None:
    """Write per-chromosome per-base arrays (NaN = no data) as a bigWig.

    ``sizes`` (default: the arrays' lengths) may list chromosomes without an array (no data);
    an array must be exactly as long as its chromosome."""
    sizes = {c: len(v) for c, v in tracks.items()} if sizes is None else dict(sizes)
    for chrom, v in tracks.items():
        if chrom not in sizes:
            raise DeguInputError(f"{path}: chromosome '{chrom}' has values but no size")
        if np.ndim(v) != 1 or len(v) != sizes[chrom]:
            raise DeguInputError(
                f"{path}: values of '{chrom}' have shape {np.shape(v)}, expected ({sizes[chrom]},)"
            )
    with bigwig_writer(path, sizes) as w:
        for chrom in sorted_names(sizes):
            if chrom in tracks:
                w.add_values(chrom, 0, tracks[chrom])


# ------------------------------------------------------------------ bedGraph


def format_bedgraph_lines(chrom: str, starts, ends, values, fmt: str = "%.9g") -> str:
    """bedGraph lines (with a trailing newline each) for the given intervals."""
    return "".join(
        f"{chrom}\t{s}\t{e}\t{fmt % v}\n"
        for s, e, v in zip(
            np.asarray(starts).tolist(),
            np.asarray(ends).tolist(),
            np.asarray(values, dtype=np.float64).tolist(),
            strict=True,
        )
    )


def write_bedgraph(path: str | os.PathLike, tracks: Mapping[str, np.ndarray], fmt: str = "%.9g") -> None:
    """Write per-chromosome per-base arrays (NaN = no data) as a bedGraph (runs of equal values,
    0-based half-open, chromosomes in bytewise-sorted order), atomically. ``fmt`` formats the
    value (default ``%.9g``, exact for float32)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii", newline="\n") as fh:
        for chrom in sorted_names(tracks):
            s, e, v = runs(tracks[chrom])
            fh.write(format_bedgraph_lines(chrom, s, e, v, fmt))


def iter_bedgraph(path: str | os.PathLike) -> Iterator[tuple[int, str, int, int, float]]:
    """``(line, chrom, start, end, value)`` of every data line of a bedGraph (``track``,
    ``browser`` and ``#`` lines skipped), checked: four columns, integer coordinates with
    ``0 <= start < end`` and a numeric value."""
    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: no such file")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith(("track", "browser", "#")):
                continue
            parts = line.split()
            if len(parts) != 4:
                raise DeguInputError(
                    f"{path}:{lineno}: expected 4 columns (chrom, start, end, value), got {len(parts)}"
                )
            chrom, s, e, v = parts
            if not (s.isdigit() and e.isdigit()) or int(s) >= int(e):
                raise DeguInputError(
                    f"{path}:{lineno}: start and end must be integers with 0 <= start < end, got {s!r}, {e!r}"
                )
            try:
                value = float(v)
            except ValueError:
                raise DeguInputError(f"{path}:{lineno}: value {v!r} is not a number") from None
            yield lineno, chrom, int(s), int(e), value


def read_bedgraph(path: str | os.PathLike, sizes: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Per-base float32 arrays (NaN where no interval) of every chromosome in ``sizes``."""
    sizes = _check_sizes(sizes, str(path))
    out = {c: np.full(n, np.nan, dtype=np.float32) for c, n in sizes.items()}
    for lineno, chrom, s, e, v in iter_bedgraph(path):
        if chrom not in sizes:
            raise DeguInputError(f"{path}:{lineno}: chromosome '{chrom}' is not in the chromosome sizes")
        if e > sizes[chrom]:
            raise DeguInputError(f"{path}:{lineno}: end {e} is beyond the end of {chrom} ({sizes[chrom]} bp)")
        out[chrom][s:e] = v
    return out


class _SlowPath(Exception):
    """The fast bedGraph reader met something it does not check line by line."""


def bedgraph_to_bigwig(
    bedgraph: str | os.PathLike, sizes: Mapping[str, int], out: str | os.PathLike, batch: int = 1_000_000
) -> None:
    """Convert a sorted bedGraph into a bigWig, streaming (what UCSC ``bedGraphToBigWig`` does):
    the bedGraph must be sorted by chromosome (bytewise) and start, without overlaps, and use
    only chromosomes of ``sizes``. Values are stored as float32.

    Reads ``batch`` lines at a time with pandas; a file the fast reader cannot take whole (header
    lines, a malformed or unsorted line) is read again line by line, which gives the one-line
    error naming the line (or converts the file, if only the header lines were in the way)."""
    bedgraph = Path(bedgraph)
    if not bedgraph.is_file():
        raise DeguInputError(f"{bedgraph}: no such file")
    sizes = _check_sizes(sizes, str(out))
    try:
        _bedgraph_to_bigwig_fast(bedgraph, sizes, out, batch)
    except _SlowPath:
        _bedgraph_to_bigwig_slow(bedgraph, sizes, out, batch)


def _bedgraph_to_bigwig_fast(bedgraph: Path, sizes: dict[str, int], out, batch: int) -> None:
    import pandas as pd

    order = {c: i for i, c in enumerate(sorted_names(sizes))}
    with bigwig_writer(out, sizes) as w:
        last = (-1, 0)
        try:
            reader = pd.read_csv(
                bedgraph,
                sep=r"\s+",
                header=None,
                names=["chrom", "start", "end", "value"],
                dtype={"chrom": str, "start": np.int64, "end": np.int64, "value": np.float64},
                chunksize=batch,
                na_filter=False,
                engine="c",
            )
            for chunk in reader:
                chroms = chunk["chrom"].to_numpy()
                starts, ends = chunk["start"].to_numpy(), chunk["end"].to_numpy()
                if not set(np.unique(chroms)) <= set(order):
                    raise _SlowPath
                keys = np.fromiter((order[c] for c in chroms), dtype=np.int64, count=len(chroms))
                limit = np.fromiter((sizes[c] for c in chroms), dtype=np.int64, count=len(chroms))
                ok = (starts >= 0) & (starts < ends) & (ends <= limit)
                prev_key = np.append(last[0], keys[:-1])
                prev_end = np.append(last[1], ends[:-1])
                ok &= (keys > prev_key) | ((keys == prev_key) & (starts >= prev_end))
                if not ok.all():
                    raise _SlowPath
                bounds = np.flatnonzero(np.diff(keys)) + 1
                for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(keys)], strict=True):
                    w.add_intervals(chroms[a], starts[a:b], ends[a:b], chunk["value"].to_numpy()[a:b])
                last = (int(keys[-1]), int(ends[-1]))
        except (ValueError, pd.errors.ParserError) as exc:  # a non-numeric field, a wrong column count
            raise _SlowPath from exc


def _bedgraph_to_bigwig_slow(bedgraph: Path, sizes: dict[str, int], out, batch: int) -> None:
    order = {c: i for i, c in enumerate(sorted_names(sizes))}
    with bigwig_writer(out, sizes) as w:
        buf: list[tuple[int, int, float]] = []
        chrom, last = None, (-1, 0)

        def flush():
            if buf:
                a = np.asarray(buf, dtype=np.float64)
                w.add_intervals(chrom, a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2])
                buf.clear()

        for lineno, c, s, e, v in iter_bedgraph(bedgraph):
            if c not in order:
                raise DeguInputError(f"{bedgraph}:{lineno}: chromosome '{c}' is not in the chromosome sizes")
            if e > sizes[c]:
                raise DeguInputError(f"{bedgraph}:{lineno}: end {e} is beyond the end of {c} ({sizes[c]} bp)")
            if (order[c], s) < last:
                raise DeguInputError(
                    f"{bedgraph}:{lineno}: not sorted or overlapping (sort with LC_COLLATE=C sort -k1,1 -k2,2n)"
                )
            if c != chrom:
                flush()
                chrom = c
            last = (order[c], e)
            buf.append((s, e, v))
            if len(buf) >= batch:
                flush()
        flush()
