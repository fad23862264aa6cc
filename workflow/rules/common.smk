# Config validation and helpers shared by all rule files.
import re
from pathlib import Path

from degu.config import validate_config
from degu.splits import fraction_key

validate_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")

REPO_ROOT = Path(workflow.basedir).parent
RUN = config["run"]
OUT = f"results/{RUN}"
DATASETS = config["datasets"]
FIGURES = ["fig2", "fig5a"]


def datasets_with_source(source):
    return [name for name, d in DATASETS.items() if d["source"] == source]


def alternatives(values):
    """Wildcard constraint matching exactly one of `values` (never matches if empty)."""
    return "|".join(re.escape(v) for v in values) or "(?!)"


wildcard_constraints:
    run=re.escape(RUN),
    dataset=alternatives(list(DATASETS)),
    fraction=r"[0-9]+\.[0-9]+",
    seed=r"[0-9]+",


def project_path(path):
    """Config paths are relative to the working directory; if nothing is there, to the
    repository (so shipped files such as the download manifests work with --directory).
    """
    p = Path(path)
    return str(p if p.is_absolute() or p.exists() else REPO_ROOT / p)


def manifest_files():
    """Every file named in the manifests of the download datasets."""
    from degu.download import read_manifest

    return sorted(
        {
            f
            for ds in datasets_with_source("download")
            for f in read_manifest(project_path(DATASETS[ds]["manifest"])).index
        }
    )


def seeds(kind):
    c = config[kind]
    return list(range(c["seed_start"], c["seed_start"] + c["n"]))


def fraction_keys(dataset):
    return [fraction_key(f) for f in DATASETS[dataset]["fractions"]]


def training_config(dataset):
    return {**config["training"], **DATASETS[dataset].get("training", {})}


def res(kind, key, default):
    return config["resources"].get(kind, {}).get(key, default)


def raw_files(dataset):
    """The six raw STARR-seq files of a dataset (downloaded, simulated or local)."""
    from degu.io.starrseq import SPLITS, activity_name, fasta_name

    d = DATASETS[dataset]
    names = [fasta_name(s) for s in SPLITS] + [activity_name(s) for s in SPLITS]
    base = d["local_dir"] if d["source"] == "local" else f"{OUT}/data/{dataset}/raw"
    return [f"{base}/{n}" for n in names]


def model_file(role, name):
    """Path pattern of one file of a trained model (teacher or student)."""
    return f"results/{{run}}/models/{{dataset}}/frac{{fraction}}/{role}/seed{{seed}}/{name}"


def evaluation_inputs(wildcards=None):
    files = []
    for ds in DATASETS:
        for fr in fraction_keys(ds):
            files.append(f"{OUT}/data/{ds}/dataset.h5")
            files.append(f"{OUT}/labels/{ds}/frac{fr}/ensemble.h5")
            for role, kind in (("teacher", "teachers"), ("student", "students")):
                for s in seeds(kind):
                    files.append(
                        f"{OUT}/models/{ds}/frac{fr}/{role}/seed{s}/predictions.h5"
                    )
    return sorted(set(files))


def evaluation_entries():
    entries = []
    for ds in DATASETS:
        for fr in fraction_keys(ds):
            pred = (
                lambda role, s: f"{OUT}/models/{ds}/frac{fr}/{role}/seed{s}/predictions.h5"
            )
            entries.append(
                {
                    "dataset": ds,
                    "fraction": float(fr),
                    "dataset_h5": f"{OUT}/data/{ds}/dataset.h5",
                    "labels_h5": f"{OUT}/labels/{ds}/frac{fr}/ensemble.h5",
                    "teachers": [(s, pred("teacher", s)) for s in seeds("teachers")],
                    "students": [(s, pred("student", s)) for s in seeds("students")],
                }
            )
    return entries


def all_targets():
    return [
        f"{OUT}/figures/{fig}.{ext}" for fig in FIGURES for ext in ("pdf", "png", "csv")
    ]
