# Config validation, constants, wildcard constraints and the helpers several rule files share.
# Result paths: paths.smk. Each stage's own input functions: inputs/<stage>.smk, included by
# rules/<stage>.smk.
import re
from pathlib import Path

from degu.config import check_config, load_yaml
from degu.assays.splits import fraction_key

# the config files again, strictly (a duplicated key is an error), then every check that
# `degu validate-config` runs (one function)
for _configfile in workflow.configfiles:
    load_yaml(_configfile)
check_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")

REPO_ROOT = Path(workflow.basedir).parent
RUN = config["run"]
OUT = f"results/{RUN}"
DATASETS = config["datasets"]
UNC = config["uncertainty"]
UNC_FRACTION = fraction_key(UNC["fraction"])


def calibrated_datasets():
    return [name for name, d in DATASETS.items() if d["calibrate"]]


def baseline_datasets(method):
    return [name for name, d in DATASETS.items() if method in d["baselines"]]


EVO = config["evoaug"]
ROB = config["robustness"]
ROB_DS = ROB.get("dataset")
ROB_FR = fraction_key(ROB["fraction"])
ENS = config["ensemble_size"]
ENS_DS = ENS.get("dataset")
FULL = fraction_key(1.0)
KMER = config["kmer_ridge"]  # the k-mer ridge reference (rules/reference.smk)
ATTR = config["attribution"]  # the attribution analysis (rules/attribution.smk)
ATTR_DS = ATTR["datasets"]
ATTR_FR = fraction_key(ATTR["fraction"])
VE = config["variant_effects"]  # CAGI5 variant effects (rules/variant_effects.smk)
VE_LOCI = VE["loci"]
VE_FR = fraction_key(VE["fraction"])
ATAC = config["atac"]  # ATAC-seq profiles (rules/atac.smk)
ATAC_DS = ATAC["datasets"]
ATAC_SIMULATED = [ds for ds, d in ATAC_DS.items() if d["source"] == "simulate"]
ATAC_ENCODE = [ds for ds, d in ATAC_DS.items() if d["source"] == "encode"]


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


def seed_range(block, n=None):
    """Seeds seed_start .. seed_start+n-1 of a {n, seed_start} config block (n: its own)."""
    return list(range(block["seed_start"], block["seed_start"] + (n or block["n"])))


def seeds(kind):
    return seed_range(config[kind])


def fraction_keys(dataset):
    return [fraction_key(f) for f in DATASETS[dataset]["fractions"]]


def training_config(dataset):
    return {**config["training"], **DATASETS[dataset].get("training", {})}


def res(kind, key, default):
    return config["resources"].get(kind, {}).get(key, default)


def res_per_attempt(kind, key, default):
    """A `res` value times the attempt number: a job retried (--retries) after hitting its
    time or memory limit gets twice as much the second time, three times the third."""
    value = res(kind, key, default)
    return lambda wildcards, attempt: value * attempt


def all_targets():
    return (
        [f"{OUT}/metrics/training.csv", *BUNDLE_TARGETS]
        + [
            f"{OUT}/figures/{fig}.{ext}"
            for fig in FIGURES
            for ext in ("pdf", "png", "csv")
        ]
        + [p for ds in ATAC_DS for ps in atac_ensemble_tracks(ds).values() for p in ps]
    )


# ----------------------------------------------- seeds and files shared by several stages


def first_students(block):
    """The first n student seeds of an analysis (n = <block>.n_students, default all)."""
    return seeds("students")[: config[block].get("n_students", config["students"]["n"])]


def oracle_seeds():
    return seed_range(ROB["oracle"])


def teacher_seeds(k):
    """The first k teacher seeds (k may exceed teachers.n: ensemble-size analysis)."""
    return seed_range(config["teachers"], k)


def ground_truth(dataset):
    """The simulator's ground_truth.tsv of a simulated dataset, else None (used by the
    calibration and attribution analyses)."""
    src = DATASETS[dataset].get("raw_from", dataset)
    if DATASETS[src]["source"] != "simulate":
        return None
    return f"{raw_dir(dataset)}/ground_truth.tsv"


def paths_of(entries_or_models):
    return [p for _, p in entries_or_models]
