"""Snakemake script: replicate mean and std tracks, Python engine (WiggleTools' semantics)."""

from degu.assays.tracks import replicate_tracks
from degu.logs import redirect_to

redirect_to(snakemake.log[0])
prefix = snakemake.output.mean[: -len(".mean.bw")]
paths = replicate_tracks(list(snakemake.input.replicates), prefix)
print(paths)
for track in paths.values():  # the bedGraphs are intermediates, as in the WiggleTools route
    track["bedGraph"].unlink()
