"""Replicate bigWigs -> mean and standard-deviation tracks, as the paper did with WiggleTools.

Two engines give the same numbers (docs/atac.md says which produced what):

``wiggletools``
    The paper's route: :func:`wiggletools_commands` returns the exact shell commands
    (``wiggletools write_bg <out>.mean.bedGraph mean a.bw b.bw c.bw``, the same with
    ``stddev``, then ``bedGraphToBigWig <bedGraph> <chrom.sizes> <out>.<track>.bw``). WiggleTools
    and the UCSC tools come from bioconda; this module never runs them.
``python``
    :func:`replicate_tracks`: pyBigWig + numpy, chromosome by chromosome in blocks of
    ``block`` bases (memory bounded by ``replicates x block``), writing bedGraph and then bigWig.

WiggleTools' semantics (read from its source, ``src/reducers.c``, and its README's "Default
Values"), reproduced by :func:`replicate_mean_std`:

* a base where *no* replicate has a value is skipped: no output (a gap in the tracks);
* elsewhere a replicate without a value counts as its default value, 0 (the n-ary operators
  are not ``strict``);
* ``mean`` = sum / R and ``stddev`` = sqrt(sum((v - mean)^2) / R), the *population* standard
  deviation (ddof 0), with R the number of replicates, in double precision from the stored
  float32 values;
* ``write_bg`` prints each value with C's ``%lf``, i.e. six decimals; the Python engine writes
  its bedGraph with the same ``%f`` format and builds the bigWig from that text, so both
  engines store the same float32 value at every base. (Line layout may differ: the Python
  engine writes one line per run of equal values, like WiggleTools' ``compress``.)
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path
from degu.io.bigwig import (
    bedgraph_to_bigwig,
    format_bedgraph_lines,
    open_bigwig,
    runs,
    sorted_names,
    write_chrom_sizes,
)

#: track name -> WiggleTools operator
TRACKS = {"mean": "mean", "std": "stddev"}
#: WiggleTools reads a file as bigWig only with one of these suffixes (``SmartReader``)
WIGGLETOOLS_BIGWIG_SUFFIXES = (".bw", ".bigWig", ".bigwig")
#: value format of WiggleTools' bedGraph output (C ``%lf``)
WIGGLETOOLS_FORMAT = "%f"
ENGINES = ("wiggletools", "python")


def replicate_mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WiggleTools ``mean`` and ``stddev`` of replicate values ``(R, n)`` (NaN = no value).

    Returns float64 ``(mean, std)`` of shape ``(n,)``: NaN where every replicate lacks a value,
    otherwise with missing values counted as 0, population standard deviation (ddof 0)."""
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2 or v.shape[0] < 1:
        raise ValueError(f"replicate values must have shape (R, n) with R >= 1, got {v.shape}")
    missing = np.isnan(v)
    none = missing.all(axis=0)
    filled = np.where(missing, 0.0, v.astype(np.float64))
    mean = filled.sum(axis=0) / v.shape[0]
    std = np.sqrt(((filled - mean) ** 2).sum(axis=0) / v.shape[0])
    mean[none] = np.nan
    std[none] = np.nan
    return mean, std


def track_paths(out_prefix: str | os.PathLike) -> dict[str, dict[str, Path]]:
    """``{track: {"bedGraph": path, "bigWig": path}}`` for ``mean`` and ``std``:
    ``<out_prefix>.<track>.bedGraph`` and ``<out_prefix>.<track>.bw``."""
    p = str(out_prefix)
    return {t: {"bedGraph": Path(f"{p}.{t}.bedGraph"), "bigWig": Path(f"{p}.{t}.bw")} for t in TRACKS}


def wiggletools_commands(
    replicates: Sequence[str | os.PathLike],
    out_prefix: str | os.PathLike,
    chrom_sizes: str | os.PathLike | None = None,
) -> list[str]:
    """The WiggleTools engine's shell commands, in order: the two ``wiggletools write_bg``
    commands (mean, stddev), then one ``bedGraphToBigWig`` per track.

    ``chrom_sizes`` (default ``<out_prefix>.chrom.sizes``) must list every chromosome of the
    replicates (:func:`degu.io.bigwig.write_chrom_sizes` writes one from a bigWig header).
    Paths are shell-quoted. WiggleTools recognises a bigWig by its suffix, so each replicate
    must end in ``.bw``, ``.bigWig`` or ``.bigwig``."""
    reps = [str(r) for r in replicates]
    if len(reps) < 2:
        raise DeguInputError(f"tracks: need at least 2 replicate bigWigs, got {len(reps)}")
    for r in reps:
        if not r.endswith(WIGGLETOOLS_BIGWIG_SUFFIXES):
            raise DeguInputError(
                f"{r}: WiggleTools reads a bigWig only with the suffix .bw, .bigWig or .bigwig"
            )
    sizes = str(chrom_sizes) if chrom_sizes is not None else f"{out_prefix}.chrom.sizes"
    paths = track_paths(out_prefix)
    q = shlex.quote
    inputs = " ".join(q(r) for r in reps)
    cmds = [f"wiggletools write_bg {q(str(paths[t]['bedGraph']))} {op} {inputs}" for t, op in TRACKS.items()]
    cmds += [
        f"bedGraphToBigWig {q(str(paths[t]['bedGraph']))} {q(sizes)} {q(str(paths[t]['bigWig']))}"
        for t in TRACKS
    ]
    return cmds


def union_chrom_sizes(replicates: Sequence[Path]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    seen_in: dict[str, Path] = {}
    for r in replicates:
        with open_bigwig(r) as bw:
            for chrom, n in bw.sizes.items():
                if chrom in sizes and sizes[chrom] != n:
                    raise DeguInputError(
                        f"{r}: chromosome '{chrom}' has {n} bp, but {sizes[chrom]} bp in {seen_in[chrom]}"
                    )
                sizes.setdefault(chrom, n)
                seen_in.setdefault(chrom, r)
    return sizes


def replicate_tracks(
    replicates: Sequence[str | os.PathLike],
    out_prefix: str | os.PathLike,
    *,
    block: int = 1_000_000,
) -> dict[str, dict[str, Path]]:
    """The Python engine: mean and std tracks of ``replicates`` with WiggleTools' semantics.

    Writes ``<out_prefix>.{mean,std}.bedGraph`` (values formatted ``%f`` as WiggleTools does)
    and then ``<out_prefix>.{mean,std}.bw`` from them, plus ``<out_prefix>.chrom.sizes`` (the
    union of the replicates' chromosomes; a chromosome absent from a replicate counts as no
    data there). Chromosomes are processed in bytewise-sorted order, ``block`` bases at a time.
    All or nothing: the five files appear together at the end, or none does (an earlier
    run's files stay untouched). Returns :func:`track_paths`."""
    reps = [Path(r) for r in replicates]
    if len(reps) < 2:
        raise DeguInputError(f"tracks: need at least 2 replicate bigWigs, got {len(reps)}")
    if int(block) < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    sizes = union_chrom_sizes(reps)
    paths = track_paths(out_prefix)
    # every output goes to a temporary name first and all are renamed at the end: a failure
    # anywhere leaves none of them (and an earlier run's files untouched)
    with ExitStack() as outputs:
        tmp = {
            (t, kind): outputs.enter_context(atomic_path(p))
            for t, files in paths.items()
            for kind, p in files.items()
        }
        write_chrom_sizes(outputs.enter_context(atomic_path(f"{out_prefix}.chrom.sizes")), sizes)
        with ExitStack() as inputs:
            handles = [inputs.enter_context(open_bigwig(r)) for r in reps]
            f_mean = inputs.enter_context(open(tmp["mean", "bedGraph"], "w", encoding="ascii", newline="\n"))
            f_std = inputs.enter_context(open(tmp["std", "bedGraph"], "w", encoding="ascii", newline="\n"))
            for chrom in sorted_names(sizes):
                n = sizes[chrom]
                for start in range(0, n, block):
                    end = min(start + block, n)
                    vals = np.stack(
                        [
                            h.values(chrom, start, end)
                            if chrom in h.sizes
                            else np.full(end - start, np.nan, np.float32)
                            for h in handles
                        ]
                    )
                    mean, std = replicate_mean_std(vals)
                    for fh, track in ((f_mean, mean), (f_std, std)):
                        s, e, v = runs(track, start, dtype=np.float64)
                        fh.write(format_bedgraph_lines(chrom, s, e, v, WIGGLETOOLS_FORMAT))
        for t in TRACKS:
            bedgraph_to_bigwig(tmp[t, "bedGraph"], sizes, tmp[t, "bigWig"])
    return paths
