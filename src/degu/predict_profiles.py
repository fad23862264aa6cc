"""``degu predict --bed regions.bed --fasta genome.fa --bigwig PREFIX``: predicted coverage tracks
of a profile model (CNN-task-base, ATAC-seq) written as bigWigs.

Each BED region (0-based, half-open; sorted or not, but not overlapping) is tiled with the
model's window (``seq_len`` of its bundle, 2048 bp for the paper's models): windows start at the
region's start and every ``seq_len`` bases after it, and the last one ends at the region's end
(where it overlaps its neighbour, the neighbour's values are kept); a region shorter than a
window is predicted from the window centred on it. A window that would leave the chromosome is
shifted inside it. N bases encode as all-zero rows, as in training. Windows are predicted and
written ``batch_size`` at a time, so a whole chromosome needs little memory. (The pipeline's
ensemble tracks cover each 3072-bp bin with two overlapping windows instead and keep every base
at least 512 bp from a window edge: the two routes give slightly different values near window
edges.)

Tracks (``<PREFIX>.<kind>.bw``; ``<PREFIX>.<kind>.<task>.bw`` for multi-task models):

* one model: each of its heads (a teacher: ``mean``, ``aleatoric``; a DEGU student: ``mean``,
  ``aleatoric``, ``epistemic``);
* several models (an ensemble): ``mean`` (their mean head's average), ``epistemic`` (its
  population std across models) and, when every member has one, ``aleatoric`` (the average of
  their aleatoric heads), the route of the pipeline's ensemble bigWigs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from degu.errors import DeguInputError


def read_bed(path, sizes: dict[str, int]) -> list[tuple[str, int, int, int]]:
    """Regions ``(chrom, start, end, line)`` of a BED file (first three columns; ``#``, ``track`` and
    ``browser`` lines skipped), sorted by chromosome and start. One-line errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: no such file")
    regions = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3:
                raise DeguInputError(f"{path}:{n}: a BED line needs chrom, start and end separated by tabs")
            chrom = fields[0]
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise DeguInputError(
                    f"{path}:{n}: start and end must be integers, got {fields[1]!r}, {fields[2]!r}"
                ) from None
            if chrom not in sizes:
                raise DeguInputError(f"{path}:{n}: chromosome {chrom!r} is not in the genome FASTA")
            if not 0 <= start < end <= sizes[chrom]:
                raise DeguInputError(
                    f"{path}:{n}: region {chrom}:{start}-{end} is empty or outside {chrom} (0-{sizes[chrom]})"
                )
            regions.append((chrom, start, end, n))
    if not regions:
        raise DeguInputError(f"{path}: no regions")
    regions.sort(key=lambda r: (r[0], r[1]))
    for a, b in zip(regions, regions[1:], strict=False):
        if a[0] == b[0] and b[1] < a[2]:
            raise DeguInputError(
                f"{path}:{b[3]}: region {b[0]}:{b[1]}-{b[2]} overlaps the region of line {a[3]}"
            )
    return regions


def window_starts(start: int, end: int, window: int, chrom_size: int, where: str = "region") -> list[int]:
    """Starts of the windows that tile ``[start, end)`` (see the module docstring); ``where``
    names the region in errors."""
    if chrom_size < window:
        raise DeguInputError(
            f"{where}: the chromosome ({chrom_size} bp) is shorter than the model's {window}-bp window"
        )
    if end - start <= window:
        starts = [start - (window - (end - start)) // 2]
    else:
        starts = list(range(start, end - window, window)) + [end - window]
    return [min(max(0, s), chrom_size - window) for s in starts]


def predict_regions(
    models: Sequence[str | os.PathLike],
    bed,
    fasta,
    out_prefix,
    *,
    batch_size: int = 64,
    threads: int | None = None,
) -> dict:
    """Write the predicted tracks of ``bed``'s regions; returns ``{"regions", "bases", "files"}``."""
    from degu.assays.profiles import encode_genome, open_genome
    from degu.io.bigwig import bigwig_writer
    from degu.models import bundle
    from degu.runtime import setup_tensorflow

    setup_tensorflow(None, threads=threads, deterministic=True)
    loaded = [bundle.load(p) for p in models]
    metas = [m for _, m in loaded]
    names = [str(p) for p in models]
    for name, meta in zip(names, metas, strict=True):
        if "output_length" not in meta:
            raise DeguInputError(
                f"{name}: not a profile model (its degu.json has no output_length); use --input"
            )
    bundle.check_compatible(metas, names, "the --model bundles")
    window, tasks = int(metas[0]["seq_len"]), list(metas[0]["tasks"])
    if int(metas[0]["output_length"]) != window:
        raise DeguInputError(
            f"{names[0]}: output_length {metas[0]['output_length']} differs from seq_len {window}"
        )
    genome = open_genome(fasta)
    sizes = {name: len(genome[name]) for name in genome.keys()}
    regions = read_bed(bed, sizes)
    if len(loaded) == 1:
        kinds = list(metas[0]["heads"])
    else:
        kinds = ["mean", "epistemic"] + (
            ["aleatoric"] if all("aleatoric" in m["heads"] for m in metas) else []
        )
    suffix = (lambda t: f".{t}") if len(tasks) > 1 else (lambda t: "")
    files = {(k, t): Path(f"{out_prefix}.{k}{suffix(t)}.bw") for k in kinds for t in tasks}
    bases = 0
    with ExitStack() as stack:
        writers = {key: stack.enter_context(bigwig_writer(p, sizes)) for key, p in files.items()}
        for chrom, start, end, line in regions:
            starts = window_starts(start, end, window, sizes[chrom], f"{bed}:{line}: {chrom}")
            done = start  # the region is written left to right, each base once
            for b in range(0, len(starts), batch_size):
                batch = starts[b : b + batch_size]
                x = np.stack(
                    [
                        encode_genome(str(genome[chrom][s : s + window]), f"{fasta}:{chrom}", s).astype(
                            np.float32
                        )
                        for s in batch
                    ]
                )
                tracks = _tracks(loaded, x, kinds, len(tasks))
                for i, s in enumerate(batch):
                    a, e = max(s, done), min(s + window, end)
                    if e <= a:
                        continue
                    for kind in kinds:
                        for j, task in enumerate(tasks):
                            writers[kind, task].add_values(
                                chrom, a, tracks[kind][i, a - s : e - s, j].astype(np.float32)
                            )
                    done = e
            bases += end - start
    return {"regions": len(regions), "bases": bases, "files": [str(p) for p in files.values()]}


def _tracks(loaded, x: np.ndarray, kinds: list[str], n_tasks: int) -> dict[str, np.ndarray]:
    """{kind: (B, L, T)} of one batch of windows: one model's heads, or the ensemble's mean,
    epistemic (population std of the mean heads) and mean aleatoric."""
    outs = []
    for model, meta in loaded:
        raw = np.asarray(model.predict_on_batch(x), np.float32)
        outs.append({h: raw[..., k * n_tasks : (k + 1) * n_tasks] for k, h in enumerate(meta["heads"])})
    if len(outs) == 1:
        return outs[0]
    means = np.stack([o["mean"] for o in outs]).astype(np.float64)
    tracks = {"mean": means.mean(0), "epistemic": means.std(0, ddof=0)}
    if "aleatoric" in kinds:
        tracks["aleatoric"] = np.stack([o["aleatoric"] for o in outs]).astype(np.float64).mean(0)
    return tracks
