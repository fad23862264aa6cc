"""Base-resolution profile datasets: genome bins with their coverage tracks (ATAC-seq, Supp Fig 1).

:func:`write_profile_dataset` follows the paper's Methods (after GOPHER's procedure):

* each chromosome of the genome FASTA (read with pyfaidx, which writes ``<fasta>.fai`` beside
  it when there is none) is cut into equal, non-overlapping ``bin_size``-bp bins (3072)
  starting at base 0; the last ``chromosome length mod bin_size`` bases are not used;
* split by chromosome: test = ``test_chroms`` (chr8), validation = ``val_chroms`` (chr9),
  training = every other chromosome except ``exclude_chroms`` (chrY) and, with
  ``exclude_contigs``, every name with an ``_`` (unplaced/unlocalised contigs, alt haplotypes);
* a bin whose sequence is only N (or IUPAC ambiguity codes) is **dropped**; other N bases and
  IUPAC codes encode as all-zero rows, as elsewhere in this project;
* a base without coverage in a track (a gap in the bigWig) takes ``missing_value`` (default 0,
  WiggleTools' default value for missing data); ``missing_value=None`` drops every bin with
  any missing base instead.

File layout (the groups and names of :mod:`degu.io.hdf5`, with profile targets)::

    /Train/X          uint8   (N, L, 4)   one-hot A,C,G,T; N all-zero
    /Train/y          float32 (N, L, T)   mean coverage track per task
    /Train/aleatoric  float32 (N, L, T)   optional: replicate std track (population sd, ddof 0)
    /Train/epistemic  float32 (N, L, T)   optional: ensemble std track (students' labels)
    /Train/ids        str     (N,)        "chr:start-end", 0-based half-open
    /Val/...  /Test/...
    attrs: format="degu-profile-dataset/1", tasks, targets (JSON lists), alphabet, n_policy,
           seq_len, bin_size, splits (JSON), missing_value, n_bins, n_dropped_n, n_dropped_missing

Every array is chunked one bin per chunk (gzip), so :func:`read_profile_rows` reads only the
bins it is asked for: the paper-scale set (about 1M bins x 3072 bp) does not fit in memory
comfortably. The file is written atomically.

:func:`random_crop_rc` and :func:`center_crop` are the training and evaluation views (paper:
a random 2048-bp window per sequence per minibatch with its targets, half of each minibatch
reverse-complemented with reversed coverage; the centre window for validation and test).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path
from degu.io.bigwig import open_bigwig

PROFILE_FORMAT = "degu-profile-dataset/1"
SPLITS = ("Train", "Val", "Test")
BIN_SIZE = 3072
CROP = 2048
TEST_CHROMS = ("chr8",)
VAL_CHROMS = ("chr9",)
EXCLUDE_CHROMS = ("chrY",)
#: target datasets a profile file may hold; ``y`` (the mean track) is required
TARGETS = ("y", "aleatoric", "epistemic")
_STR = h5py.string_dtype("utf-8")

# A,C,G,T -> 0..3; N and IUPAC ambiguity codes -> -1 (all-zero row); anything else -> -2
_LUT = np.full(256, -2, dtype=np.int8)
for _i, _b in enumerate("ACGT"):
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = _i
for _b in "NRYSWKMBDHV":
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = -1


# ------------------------------------------------------------------ genome


def encode_genome(seq: str, where: str = "sequence", offset: int = 0) -> np.ndarray:
    """One-hot (len, 4) uint8 of a genome stretch: A,C,G,T either case; N and the IUPAC
    ambiguity codes (R, Y, S, W, K, M, B, D, H, V; GRCh38 has a few) all-zero. Any other
    character raises, naming ``where`` and the 1-based position (``offset`` + index + 1)."""
    codes = _LUT[np.frombuffer(seq.encode("latin-1", errors="replace"), dtype=np.uint8)]
    bad = np.flatnonzero(codes == -2)
    if bad.size:
        raise DeguInputError(
            f"{where} has invalid character {seq[bad[0]]!r} at position {offset + bad[0] + 1} "
            "(allowed: A, C, G, T, N or an IUPAC ambiguity code, either case)"
        )
    out = np.zeros((len(seq), 4), dtype=np.uint8)
    ok = np.flatnonzero(codes >= 0)
    out[ok, codes[ok]] = 1
    return out


def open_genome(path: str | os.PathLike):
    """The genome FASTA as a pyfaidx ``Fasta`` (raw strings); errors name the file."""
    import pyfaidx

    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: no such file")
    try:
        return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=False)
    except Exception as exc:  # pyfaidx raises several exception types for malformed files
        raise DeguInputError(f"{path}: cannot index FASTA: {exc}") from exc


def chromosome_splits(
    chromosomes: Sequence[str],
    *,
    test_chroms: Sequence[str] = TEST_CHROMS,
    val_chroms: Sequence[str] = VAL_CHROMS,
    exclude_chroms: Sequence[str] = EXCLUDE_CHROMS,
    exclude_contigs: bool = True,
    where: str = "genome",
) -> dict[str, str | None]:
    """``{chromosome: "Train" | "Val" | "Test" | None}`` (None = excluded), in input order.

    Raises if a test or validation chromosome is not among ``chromosomes`` (``where`` names the
    genome) or is listed twice."""
    test, val, excl = set(test_chroms), set(val_chroms), set(exclude_chroms)
    both = sorted((test & val) | (test & excl) | (val & excl))
    if both:
        raise DeguInputError(
            f"{where}: chromosome(s) {both} are in more than one of test, validation, excluded"
        )
    names = list(chromosomes)
    for key, wanted in (("test_chroms", test_chroms), ("val_chroms", val_chroms)):
        missing = [c for c in wanted if c not in names]
        if missing:
            raise DeguInputError(
                f"{where}: {key} {missing} not in the genome (chromosomes: {', '.join(names)})"
            )
    out: dict[str, str | None] = {}
    for c in names:
        if c in test:
            out[c] = "Test"
        elif c in val:
            out[c] = "Val"
        elif c in excl or (exclude_contigs and "_" in c):
            out[c] = None
        else:
            out[c] = "Train"
    return out


def genome_bins(sizes: Mapping[str, int], bin_size: int = BIN_SIZE) -> list[tuple[str, int, int]]:
    """Non-overlapping ``(chrom, start, end)`` bins from base 0 of each chromosome (in the given
    order); the remainder shorter than ``bin_size`` at a chromosome's end is not used."""
    if int(bin_size) < 1:
        raise ValueError(f"bin_size must be >= 1, got {bin_size}")
    return [(c, s, s + bin_size) for c, n in sizes.items() for s in range(0, n - bin_size + 1, bin_size)]


def bin_id(chrom: str, start: int, end: int) -> str:
    return f"{chrom}:{start}-{end}"


# ------------------------------------------------------------------ writing


def _check_tracks(tracks: Mapping[str, Sequence], tasks: Sequence[str]) -> dict[str, list[Path]]:
    if "y" not in tracks:
        raise DeguInputError(f"profile tracks: need the mean track 'y'; got {sorted(tracks)}")
    unknown = sorted(set(tracks) - set(TARGETS))
    if unknown:
        raise DeguInputError(f"profile tracks: unknown target(s) {unknown}; known: {list(TARGETS)}")
    out = {}
    for name in TARGETS:
        if name not in tracks:
            continue
        files = [tracks[name]] if isinstance(tracks[name], str | os.PathLike) else list(tracks[name])
        if len(files) != len(tasks):
            raise DeguInputError(
                f"profile tracks: target '{name}' has {len(files)} bigWig(s) for {len(tasks)} task(s) {list(tasks)}"
            )
        out[name] = [Path(f) for f in files]
    return out


def write_profile_dataset(
    out: str | os.PathLike,
    fasta: str | os.PathLike,
    tracks: Mapping[str, str | os.PathLike | Sequence[str | os.PathLike]],
    *,
    tasks: Sequence[str],
    bin_size: int = BIN_SIZE,
    test_chroms: Sequence[str] = TEST_CHROMS,
    val_chroms: Sequence[str] = VAL_CHROMS,
    exclude_chroms: Sequence[str] = EXCLUDE_CHROMS,
    exclude_contigs: bool = True,
    missing_value: float | None = 0.0,
    block_bins: int = 64,
) -> dict[str, int]:
    """Write the binned dataset of ``fasta`` with coverage ``tracks`` (see the module docstring).

    ``tracks`` maps a target name (``y`` = mean, ``aleatoric``, ``epistemic``) to one bigWig per
    task. A chromosome must have the same size in the FASTA and in every bigWig that has it; a
    chromosome missing from a bigWig counts as missing coverage. Reads ``block_bins`` bins at a
    time (memory bounded by that). Returns counts: bins per split, ``n_dropped_n`` and
    ``n_dropped_missing``."""
    fasta = Path(fasta)
    tasks = [str(t) for t in tasks]
    if not tasks or len(set(tasks)) != len(tasks):
        raise DeguInputError(f"profile tasks must be non-empty and unique, got {tasks}")
    if missing_value is not None and not np.isfinite(missing_value):
        raise DeguInputError(f"missing_value must be a finite number or None, got {missing_value!r}")
    if int(bin_size) < 1 or int(block_bins) < 1:
        raise ValueError("bin_size and block_bins must be >= 1")
    files = _check_tracks(tracks, tasks)
    genome = open_genome(fasta)
    sizes = {str(k): len(genome[k]) for k in genome.keys()}
    split_of = chromosome_splits(
        list(sizes),
        test_chroms=test_chroms,
        val_chroms=val_chroms,
        exclude_chroms=exclude_chroms,
        exclude_contigs=exclude_contigs,
        where=str(fasta),
    )
    handles = {name: [open_bigwig(f) for f in fs] for name, fs in files.items()}
    counts = {s: 0 for s in SPLITS} | {"n_dropped_n": 0, "n_dropped_missing": 0}
    L, T = int(bin_size), len(tasks)
    try:
        for hs in handles.values():
            for h in hs:
                for chrom, n in h.sizes.items():
                    if chrom in sizes and sizes[chrom] != n:
                        raise DeguInputError(
                            f"{h.path}: chromosome '{chrom}' has {n} bp, but {sizes[chrom]} bp in {fasta}"
                        )
        with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
            f.attrs["format"] = PROFILE_FORMAT
            f.attrs["tasks"] = json.dumps(tasks)
            f.attrs["targets"] = json.dumps(list(files))
            f.attrs["alphabet"] = "ACGT"
            f.attrs["n_policy"] = "zeros"
            f.attrs["seq_len"] = L
            f.attrs["bin_size"] = L
            f.attrs["missing_value"] = "drop" if missing_value is None else float(missing_value)
            f.attrs["splits"] = json.dumps(
                {
                    "test_chroms": list(test_chroms),
                    "val_chroms": list(val_chroms),
                    "exclude_chroms": list(exclude_chroms),
                    "exclude_contigs": bool(exclude_contigs),
                }
            )
            ds = {}
            for split in SPLITS:
                g = f.create_group(split)
                ds[split] = {
                    "X": g.create_dataset(
                        "X", (0, L, 4), np.uint8, maxshape=(None, L, 4), chunks=(1, L, 4), compression="gzip"
                    ),
                    "ids": g.create_dataset("ids", (0,), _STR, maxshape=(None,), chunks=(1024,)),
                    **{
                        name: g.create_dataset(
                            name,
                            (0, L, T),
                            np.float32,
                            maxshape=(None, L, T),
                            chunks=(1, L, T),
                            compression="gzip",
                            shuffle=True,
                        )
                        for name in files
                    },
                }
            for chrom, split in split_of.items():
                n_bins = sizes[chrom] // L
                if split is None or n_bins == 0:
                    continue
                for b0 in range(0, n_bins, block_bins):
                    b1 = min(b0 + block_bins, n_bins)
                    s, e = b0 * L, b1 * L
                    x = encode_genome(genome[chrom][s:e], f"{fasta}: record '{chrom}'", offset=s)
                    x = x.reshape(b1 - b0, L, 4)
                    keep = x.any(axis=(1, 2))
                    counts["n_dropped_n"] += int((~keep).sum())
                    targets = {}
                    for name, hs in handles.items():
                        cols = [
                            h.values(chrom, s, e) if chrom in h.sizes else np.full(e - s, np.nan, np.float32)
                            for h in hs
                        ]
                        targets[name] = np.stack(cols, axis=-1).reshape(b1 - b0, L, T)
                    missing = np.zeros(b1 - b0, dtype=bool)
                    for name in targets:
                        nan = np.isnan(targets[name])
                        missing |= nan.any(axis=(1, 2))
                        if missing_value is not None:
                            targets[name][nan] = missing_value
                    if missing_value is None:
                        counts["n_dropped_missing"] += int((keep & missing).sum())
                        keep &= ~missing
                    k = int(keep.sum())
                    if not k:
                        continue
                    d = ds[split]
                    n0 = d["X"].shape[0]
                    for arr in d.values():
                        arr.resize(n0 + k, axis=0)
                    d["X"][n0:] = x[keep]
                    for name in targets:
                        d[name][n0:] = targets[name][keep]
                    starts = s + L * np.flatnonzero(keep)
                    d["ids"][n0:] = np.asarray(
                        [bin_id(chrom, int(a), int(a) + L) for a in starts], dtype=object
                    )
                    counts[split] += k
            f.attrs["n_bins"] = json.dumps({sp: counts[sp] for sp in SPLITS})
            f.attrs["n_dropped_n"] = counts["n_dropped_n"]
            f.attrs["n_dropped_missing"] = counts["n_dropped_missing"]
    finally:
        for hs in handles.values():
            for h in hs:
                h.close()
    return counts


# ------------------------------------------------------------------ reading


def profile_split_size(path: str | os.PathLike, split: str) -> int:
    with h5py.File(path, "r") as f:
        if split not in f:
            raise DeguInputError(f"{path}: no group '{split}' (groups: {list(f.keys())})")
        return int(f[split]["X"].shape[0])


def read_profile_rows(
    path: str | os.PathLike, split: str, rows: Sequence[int] | np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """``{"X", "ids", "y"[, "aleatoric", "epistemic"]}`` of the given rows of one split, in the
    order asked (all rows when ``rows`` is None). Reads only those bins' chunks."""
    path = Path(path)
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != PROFILE_FORMAT:
            raise DeguInputError(f"{path}: not a profile dataset (format {f.attrs.get('format')!r})")
        if split not in f:
            raise DeguInputError(f"{path}: no group '{split}' (groups: {list(f.keys())})")
        g = f[split]
        n = g["X"].shape[0]
        names = ["X", "ids", *[t for t in TARGETS if t in g]]
        if rows is None:
            return {k: (g[k].asstr()[...] if k == "ids" else g[k][...]) for k in names}
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= n):
            raise DeguInputError(f"{path}: rows out of range for split '{split}' with {n} bins")
        uniq, inverse = np.unique(rows, return_inverse=True)  # h5py wants increasing indices
        out = {}
        for k in names:
            got = g[k].asstr()[uniq] if k == "ids" else g[k][uniq]
            out[k] = np.asarray(got)[inverse]
        return out


# ------------------------------------------------------------------ crops and reverse complement


def _check_xy(x, y, crop):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 3 or x.shape[-1] != 4 or y.ndim != 3 or y.shape[:2] != x.shape[:2]:
        raise ValueError(
            f"need x (B, L, 4) and y (B, L, T) with the same B and L, got {x.shape} and {y.shape}"
        )
    if not 1 <= int(crop) <= x.shape[1]:
        raise ValueError(f"crop must be between 1 and the sequence length {x.shape[1]}, got {crop}")
    return x, y, int(crop)


def center_crop(x, y, crop: int = CROP) -> tuple[np.ndarray, np.ndarray]:
    """The central ``crop`` positions of sequences ``x`` (B, L, 4) and targets ``y`` (B, L, T),
    starting at ``(L - crop) // 2``."""
    x, y, crop = _check_xy(x, y, crop)
    a = (x.shape[1] - crop) // 2
    return x[:, a : a + crop], y[:, a : a + crop]


def random_crop_rc(
    x, y, crop: int = CROP, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Training view of a minibatch: for each sequence an independent random window of ``crop``
    positions (start uniform in ``0..L - crop``), targets cut alike; then ``B // 2`` sequences
    chosen at random are reverse-complemented (positions reversed and A<->T, C<->G, i.e. the
    A,C,G,T channels reversed) with their coverage reversed (positions only; tasks stay)."""
    x, y, crop = _check_xy(x, y, crop)
    rng = np.random.default_rng() if rng is None else rng
    b, length = x.shape[:2]
    starts = rng.integers(0, length - crop + 1, size=b)
    pos = starts[:, None] + np.arange(crop)[None, :]
    rows = np.arange(b)[:, None]
    xc, yc = x[rows, pos], y[rows, pos]
    flip = rng.permutation(b)[: b // 2]
    xc[flip] = xc[flip, ::-1, ::-1]
    yc[flip] = yc[flip, ::-1, :]
    return xc, yc
