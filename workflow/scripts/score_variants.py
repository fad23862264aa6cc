"""Snakemake script: score one CAGI5 locus with every model (variants/<locus>/*.tsv)."""

from pathlib import Path

from degu.logs import redirect_to
from degu.score_variants import score_locus_job

redirect_to(snakemake.log[0])
p = snakemake.params
score_locus_job(
    locus=p.locus,
    cell_type=p.cell_type,
    variant_files=dict(p.variant_files),
    sheet=p.sheet,
    reference=dict(p.reference),
    element=p.element,
    edge=p.edge,
    index=p.index,
    models={m: {int(s): str(Path(f).parent) for s, f in by_seed.items()} for m, by_seed in p.models.items()},
    ensemble=[str(Path(f).parent) for f in p.ensemble],
    out_windows=snakemake.output.windows,
    out_predictions=snakemake.output.predictions,
    batch_size=p.batch_size,
    threads=snakemake.threads,
)
