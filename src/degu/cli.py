"""Command-line interface: ``degu simulate``, ``degu prepare``, ``degu validate-config``, ``degu predict``,
``degu attribute``, ``degu score-variants``."""

from __future__ import annotations

import argparse
import sys

from degu.errors import DeguInputError


def _simulate_starrseq(args) -> None:
    from degu.assays.simulate import simulate_starrseq

    written = simulate_starrseq(
        args.out,
        n_train=args.n_train,
        n_val=args.n_val,
        n_test=args.n_test,
        seed=args.seed,
        seq_len=args.seq_len,
        noise_sd=args.noise_sd,
        p_negative=args.p_negative,
        motif_rate=args.motif_rate,
    )
    for path in written.values():
        print(path)


def _simulate_lentimpra(args) -> None:
    from pathlib import Path

    from degu.assays.simulate import simulate_lentimpra

    counts = simulate_lentimpra(
        args.out,
        cell_type=args.cell_type,
        n_elements=args.n_elements,
        seed=args.seed,
        table_format=args.format,
        base_noise_sd=args.base_noise_sd,
        noise_gain=args.noise_gain,
        p_negative=args.p_negative,
        motif_rate=args.motif_rate,
        n_replicates=args.n_replicates,
        p_missing_replicate=args.p_missing_replicate,
        p_unmeasured=args.p_unmeasured,
        p_reversed_0=args.p_reversed_0,
    )
    for name in (f"sequences.{args.format}", f"replicates.{args.format}", "ground_truth.tsv"):
        print(Path(args.out) / name)
    print(", ".join(f"{k}={v}" for k, v in counts.items()))


def _simulate_cagi5(args) -> None:
    from pathlib import Path

    from degu.assays.simulate import simulate_cagi5
    from degu.errors import DeguInputError

    loci = {}
    for item in args.locus:
        name, sep, cell = item.partition("=")
        if not sep or not name or not cell:
            raise DeguInputError(f"--locus {item!r}: give NAME=CELL_TYPE, e.g. SIMK562=K562")
        loci[name] = cell
    counts = simulate_cagi5(
        args.out,
        loci=loci,
        seed=args.seed,
        flank=args.flank,
        release_fraction=args.release_fraction,
        n_replicates=args.n_replicates,
    )
    for locus in loci:
        for s in ("release", "challenge"):
            print(Path(args.out) / f"{s}_{locus}.tsv")
    for name in ("genome.fa", "elements.csv", "cagi5_truth.tsv"):
        print(Path(args.out) / name)
    for locus, c in counts.items():
        print(f"{locus}: " + ", ".join(f"{k}={v}" for k, v in c.items()))


def _prepare(args) -> None:
    from degu.assays.datasets import PREPARERS

    counts = PREPARERS[args.assay](
        args.raw_dir,
        args.out,
        tasks=args.tasks,
        activity_columns=args.columns,
        seq_len=args.seq_len,
        n_policy=args.n_policy,
    )
    print(f"wrote {args.out}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def _validate_config(args) -> None:
    from pathlib import Path

    from degu.config import load_config

    schema = args.schema
    if schema is None:
        # the schema ships with the workflow: the repository of an editable install, or the cwd
        candidates = [
            Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml",
            Path("workflow/schemas/config.schema.yaml"),
        ]
        schema = next((c for c in candidates if c.exists()), None)
        if schema is None:
            raise DeguInputError("cannot find workflow/schemas/config.schema.yaml; pass --schema")
    load_config(args.config, schema)
    print(f"{args.config}: valid")


def _predict(args) -> None:
    profile = [args.bed, args.fasta, args.bigwig]
    if any(v is not None for v in profile):
        if args.input is not None or not all(v is not None for v in profile):
            raise DeguInputError(
                "degu predict: give --input (sequences), or --bed, --fasta and --bigwig together (profile models)"
            )
        from degu.predict_profiles import predict_regions

        done = predict_regions(
            args.model, args.bed, args.fasta, args.bigwig, batch_size=args.batch_size, threads=args.threads
        )
        print(
            f"degu predict: {done['regions']} regions ({done['bases']} bp) -> {', '.join(done['files'])}",
            file=sys.stderr,
        )
        return
    if args.input is None:
        raise DeguInputError(
            "degu predict: give --input (sequences), or --bed, --fasta and --bigwig (profile models)"
        )
    from degu.predict import predict_file

    summary = predict_file(
        args.model,
        args.input,
        args.out,
        batch_size=args.batch_size,
        interval=args.interval,
        id_column=args.id_column,
        sequence_column=args.sequence_column,
        threads=args.threads,
        progress=False if args.no_progress else None,
    )
    where = args.out or "standard output"
    if summary["interval"] is None:
        how = "no uncertainty head, no interval"
    else:
        level = f"{100 * (1 - summary['alpha']):g}%"
        how = f"{level} interval from the {summary['interval']} std"
        scale = summary["conformal_scale"]
        if summary["conformal_split"] is not None:
            lam = "inf" if scale is None else f"{scale:.4g}"
            how += f"; conformal scale {lam} (calibrated on {summary['conformal_split']})"
    print(f"degu predict: {summary['n']} sequences -> {where} ({how})", file=sys.stderr)
    for note in summary["notes"]:
        print(f"degu predict: note: {note}", file=sys.stderr)


def _attribute(args) -> None:
    from degu.attribute import attribute_file, summary_line

    summary = attribute_file(
        args.model,
        args.input,
        args.out,
        head=args.head,
        task=args.task,
        method=args.method,
        background=args.background,
        n_background=args.n_background,
        background_seed=args.background_seed,
        batch_size=args.batch_size,
        logos=args.logos,
        n_logos=args.n_logos,
        id_column=args.id_column,
        sequence_column=args.sequence_column,
        threads=args.threads,
    )
    print(summary_line(summary, args.out), file=sys.stderr)


def _score_variants(args) -> None:
    from degu.score_variants import score_file, summary_lines

    summary = score_file(
        args.model,
        args.variants,
        args.out,
        sheet=args.sheet,
        fasta=args.fasta,
        elements=args.elements,
        element=args.element,
        edge=args.edge,
        index=args.index,
        task=args.task,
        interval=args.interval,
        alpha=args.alpha,
        batch_size=args.batch_size,
        threads=args.threads,
        progress=args.progress,
    )
    for line in summary_lines(summary, args.out):
        print(line, file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line too: ``degu: error: ...`` and exit code 2."""

    def error(self, message):
        self.exit(2, f"degu: error: {message} (see '{self.prog} --help')\n")


def _model_arguments(p: argparse.ArgumentParser, ensemble_help: str) -> None:
    """The options every command that applies models shares: the models and threads."""
    p.add_argument(
        "--model",
        action="append",
        required=True,
        help=f"bundle directory, its degu.json or its .keras file; {ensemble_help}",
    )
    p.add_argument("--threads", type=int, default=None, help="TensorFlow intra-op threads (default: all)")


def _model_and_input_arguments(
    p: argparse.ArgumentParser, ensemble_help: str, input_required: bool = True
) -> None:
    """The options ``degu predict`` and ``degu attribute`` share: models, input and threads."""
    _model_arguments(p, ensemble_help)
    p.add_argument(
        "--input", required=input_required, help="FASTA, or a .tsv/.csv table with id and sequence columns"
    )
    p.add_argument("--id-column", default=None, help="table input: id column (default: id, name or seq_id)")
    p.add_argument(
        "--sequence-column", default=None, help="table input: sequence column (default: sequence or seq)"
    )


def build_parser() -> argparse.ArgumentParser:
    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
    )
    parser = _Parser(prog="degu", description=__doc__, parents=[debug])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_parser = sub.add_parser
    sub.add_parser = lambda *a, **k: _add_parser(*a, parents=[debug], **k)

    sim = sub.add_parser("simulate", help="write simulated data in real file formats")
    sim_sub = sim.add_subparsers(dest="assay", required=True, parser_class=_Parser)
    _add_sim = sim_sub.add_parser
    sim_sub.add_parser = lambda *a, **k: _add_sim(*a, parents=[debug], **k)
    st = sim_sub.add_parser("starrseq", help="DeepSTARR-format STARR-seq files with planted fly motifs")
    st.add_argument("--out", required=True, help="output directory")
    st.add_argument("--n-train", type=int, default=4000)
    st.add_argument("--n-val", type=int, default=500)
    st.add_argument("--n-test", type=int, default=500)
    st.add_argument("--seed", type=int, default=0)
    st.add_argument("--seq-len", type=int, default=249)
    st.add_argument("--noise-sd", type=float, default=0.3)
    st.add_argument("--p-negative", type=float, default=0.2)
    st.add_argument("--motif-rate", type=float, default=1.0)
    st.set_defaults(func=_simulate_starrseq)
    lm = sim_sub.add_parser(
        "lentimpra", help="Agarwal et al. 2023 lentiMPRA tables (Tables 3 and 4) with planted human motifs"
    )
    lm.add_argument("--out", required=True, help="output directory")
    lm.add_argument(
        "--cell-type", default="K562", help="K562, HepG2 or another name (shared default weights)"
    )
    lm.add_argument(
        "--n-elements", type=int, default=1000, help="elements (each written in both orientations)"
    )
    lm.add_argument("--seed", type=int, default=0)
    lm.add_argument("--format", choices=["xlsx", "tsv", "csv"], default="xlsx")
    lm.add_argument("--base-noise-sd", type=float, default=0.25)
    lm.add_argument("--noise-gain", type=float, default=1.0)
    lm.add_argument("--p-negative", type=float, default=0.2)
    lm.add_argument("--motif-rate", type=float, default=0.8)
    lm.add_argument("--n-replicates", type=int, default=3)
    lm.add_argument("--p-missing-replicate", type=float, default=0.02)
    lm.add_argument("--p-unmeasured", type=float, default=0.01)
    lm.add_argument("--p-reversed-0", type=float, default=0.0)
    lm.set_defaults(func=_simulate_lentimpra)
    cg = sim_sub.add_parser(
        "cagi5", help="CAGI5-format saturation-mutagenesis loci of simulated elements (+ genome, truth)"
    )
    cg.add_argument("--out", required=True, help="output directory")
    cg.add_argument(
        "--locus", action="append", required=True, help="NAME=CELL_TYPE (repeat for several loci)"
    )
    cg.add_argument("--seed", type=int, default=0)
    cg.add_argument("--flank", type=int, default=100, help="background bases on each side of the element")
    cg.add_argument("--release-fraction", type=float, default=0.3)
    cg.add_argument("--n-replicates", type=int, default=3, help="measurements averaged per allele")
    cg.set_defaults(func=_simulate_cagi5)

    prep = sub.add_parser("prepare", help="raw files -> HDF5 dataset")
    prep.add_argument("assay", choices=["starrseq"])
    prep.add_argument("raw_dir")
    prep.add_argument("out")
    prep.add_argument("--tasks", nargs="+", default=["Dev", "Hk"])
    prep.add_argument("--columns", nargs="+", default=["Dev_log2_enrichment", "Hk_log2_enrichment"])
    prep.add_argument("--seq-len", type=int, default=249)
    prep.add_argument("--n-policy", choices=["zeros", "error"], default="zeros")
    prep.set_defaults(func=_prepare)

    val = sub.add_parser("validate-config", help="check a pipeline config against the schema")
    val.add_argument("config")
    val.add_argument(
        "--schema", default=None, help="default: the repository's workflow/schemas/config.schema.yaml"
    )
    val.set_defaults(func=_validate_config)

    pr = sub.add_parser(
        "predict",
        help="apply a model bundle (or an ensemble of them) to new sequences",
        description="One row per sequence: activity, epistemic/aleatoric/total std and the interval "
        "before and after the bundle's conformal scale (docs/predict.md).",
    )
    _model_and_input_arguments(
        pr, "repeat for an ensemble (or give a pipeline ensemble bundle)", input_required=False
    )
    pr.add_argument("--bed", default=None, help="profile models: regions to predict (BED, 0-based)")
    pr.add_argument("--fasta", default=None, help="profile models: the genome FASTA of the regions")
    pr.add_argument(
        "--bigwig",
        default=None,
        metavar="PREFIX",
        help="profile models: write PREFIX.<kind>.bw (mean, aleatoric, epistemic) (docs/atac.md)",
    )
    pr.add_argument(
        "--out", default=None, help="output table (.tsv; .csv for commas); default: standard output"
    )
    pr.add_argument("--batch-size", type=int, default=1000, help="sequences per prediction batch")
    pr.add_argument(
        "--interval",
        choices=["total", "epistemic", "aleatoric"],
        default=None,
        help="the std the intervals use (default: total if the model has both kinds, else the one it has)",
    )
    pr.add_argument("--no-progress", action="store_true", help="no progress bar")
    pr.set_defaults(func=_predict)

    at = sub.add_parser(
        "attribute",
        help="gradient-corrected saliency or DeepSHAP maps of new sequences",
        description="Attribution maps of one output head for every input sequence, as the pipeline's "
        "attribution analysis computes them (docs/attribution.md).",
    )
    _model_and_input_arguments(at, "repeat (or give an ensemble bundle) for the ensemble-average map")
    at.add_argument("--out", required=True, help="output HDF5 file (ids, x, maps)")
    at.add_argument("--head", default="mean", help="output head: mean (activity), epistemic, aleatoric, ...")
    at.add_argument("--task", default=None, help="task (needed when the model has several)")
    at.add_argument("--method", choices=["saliency", "deepshap"], default="saliency")
    at.add_argument(
        "--background",
        default=None,
        help="DeepSHAP background sequences (FASTA/table); default: drawn from --input",
    )
    at.add_argument("--n-background", type=int, default=100, help="background size drawn from --input")
    at.add_argument("--background-seed", type=int, default=1234)
    at.add_argument("--batch-size", type=int, default=None, help="sequences per batch (default: per method)")
    at.add_argument("--logos", default=None, help="also draw logos of the first --n-logos sequences (PDF)")
    at.add_argument("--n-logos", type=int, default=5)
    at.set_defaults(func=_attribute)

    sv = sub.add_parser(
        "score-variants",
        help="predicted effects (alt - ref) of SNVs with their uncertainty and interval",
        description="One row per variant: effect, ref and alt predictions, their epistemic/aleatoric/"
        "total std and the effect's interval; reference-allele mismatches are reported, not scored "
        "(docs/variant-effects.md).",
    )
    _model_arguments(sv, "repeat for an ensemble (or give a pipeline ensemble bundle)")
    sv.add_argument(
        "--variants",
        required=True,
        help="CAGI5 .tsv/.xlsx, a VCF, or a table with chrom, pos, ref, alt (and id)",
    )
    sv.add_argument("--sheet", default=None, help="the .xlsx sheet (e.g. release_PKLR)")
    ref = sv.add_mutually_exclusive_group(required=True)
    ref.add_argument("--fasta", default=None, help="genome FASTA (indexed with pyfaidx: writes <fasta>.fai)")
    ref.add_argument(
        "--elements",
        default=None,
        help="table of element sequences (regulatory_element, ref_sequence, start_pos)",
    )
    sv.add_argument("--element", default=None, help="with --elements: the element the variants lie in")
    sv.add_argument(
        "--edge",
        choices=["shift", "pad", "drop"],
        default="shift",
        help="a window running past the reference: move it inside, pad with N, or drop the variant",
    )
    sv.add_argument(
        "--index",
        type=int,
        default=None,
        help="the variant's index in the full model input (default (seq_len - 1) // 2: 114 of 230)",
    )
    sv.add_argument("--task", default=None, help="task (needed when the model has several)")
    sv.add_argument(
        "--interval",
        choices=["total", "epistemic", "aleatoric"],
        default=None,
        help="the std the effect's interval uses (default: total if the model has both kinds)",
    )
    sv.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="interval level 1 - alpha (default: the bundle's, else 0.05)",
    )
    sv.add_argument("--batch-size", type=int, default=1000, help="windows per prediction batch")
    sv.add_argument(
        "--out", default=None, help="output table (.tsv; .csv for commas); default: standard output"
    )
    sv.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on standard error (default: when it is a terminal)",
    )
    sv.set_defaults(func=_score_variants)
    return parser


def error_line(exc: BaseException) -> str:
    """One line for any error: input errors as they are (a multi-line list joined with '; '),
    a missing or unreadable file as ``<file>: <reason>``, anything else with its type."""
    if isinstance(exc, DeguInputError):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}"
    elif isinstance(exc, ValueError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} " + "; ".join(lines[1:])
    return "; ".join(lines) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error is one line ``degu: error: ...`` with exit code 2
    (``--debug``: the traceback instead)."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        print(f"degu: error: {error_line(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
