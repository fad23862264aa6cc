"""Command-line interface: ``degu simulate starrseq``, ``degu prepare``, ``degu validate-config``."""

from __future__ import annotations

import argparse
import sys

from degu.errors import DeguInputError


def _simulate_starrseq(args) -> None:
    from degu.simulate import simulate_starrseq

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


def _prepare(args) -> None:
    from degu.datasets import PREPARERS

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="degu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="write simulated data in real file formats")
    sim_sub = sim.add_subparsers(dest="assay", required=True)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except DeguInputError as exc:
        print(f"degu: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
