# Config validation and helpers shared by all rule files.
import re
from pathlib import Path

from degu.config import check_config, load_yaml, split_minimums
from degu.splits import fraction_key

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


def owns_raw(name):
    """Whether the dataset fetches/simulates its own raw files (no raw_from)."""
    return "raw_from" not in DATASETS[name]


def datasets_with_source(source, assay=None):
    return [
        name
        for name, d in DATASETS.items()
        if d["source"] == source
        and owns_raw(name)
        and (assay is None or d["assay"] == assay)
    ]


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


def raw_dir(dataset):
    """Where a dataset's raw files are (its own, or those of its raw_from dataset)."""
    src = DATASETS[dataset].get("raw_from", dataset)
    d = DATASETS[src]
    return d["local_dir"] if d["source"] == "local" else f"{OUT}/data/{src}/raw"


def raw_files(dataset):
    """The raw files a dataset is prepared from (downloaded, simulated or local)."""
    d = DATASETS[dataset]
    if d["assay"] == "starrseq":
        from degu.io.starrseq import SPLITS, activity_name, fasta_name

        names = [fasta_name(s) for s in SPLITS] + [activity_name(s) for s in SPLITS]
    elif d["assay"] == "lentimpra":
        names = [d["files"]["sequences"], d["files"]["replicates"]]
    elif d["assay"] == "degu_h5":
        names = [d["files"]["h5"]]
    else:
        names = [d["files"]["table"]]
    return [f"{raw_dir(dataset)}/{n}" for n in names]


def ground_truth(dataset):
    """The simulator's ground-truth file, for simulated datasets (else None)."""
    src = DATASETS[dataset].get("raw_from", dataset)
    if DATASETS[src]["source"] != "simulate":
        return None
    return f"{raw_dir(dataset)}/ground_truth.tsv"


PREPARE_KEYS = [
    "tasks",
    "activity_columns",
    "seq_len",
    "n_policy",
    "files",
    "sheets",
    "id_column",
    "sequence_column",
    "replicate_columns",
    "aleatoric",
    "min_replicates",
    "max_unmatched_fraction",
    "reverse_pattern",
    "orientation_pairs",
    "split",
    "h5_columns",
]


def archive_members():
    """{extracted file name: (dataset owning the raw dir, archive file, member)}."""
    out = {}
    for name, d in DATASETS.items():
        if "archive" in d:
            owner = d.get("raw_from", name)
            out[d["files"]["h5"]] = (
                owner,
                d["archive"]["file"],
                d["archive"]["member"],
            )
    return out


def prepare_params(dataset):
    d = DATASETS[dataset]
    params = {
        **{k: d[k] for k in PREPARE_KEYS if k in d},
        "min_split_sizes": split_minimums(config, dataset),
    }
    cal = UNC["calibration_split"]
    # only when set, so that the default leaves prepare's params (and its outputs) unchanged
    if cal["source"] != "none" and d["calibrate"]:
        params["calibration_split"] = {**cal, "alpha": UNC["alpha"]}
    return params


def model_file(role, name):
    """Path pattern of one file of a trained model (teacher, student or a baseline)."""
    return f"results/{{run}}/models/{{dataset}}/frac{{fraction}}/{role}/seed{{seed}}/{name}"


def predictions(ds, fr, role, seed):
    return model_paths(ds, fr, role, [seed], "predictions.h5")[0][1]


def calibration_models(ds):
    """(method, seed, file) of everything the calibration analysis of one dataset compares."""
    fr = UNC_FRACTION
    base = DATASETS[ds]["baselines"]
    models = [
        {
            "method": "ensemble",
            "seed": None,
            "path": f"{OUT}/labels/{ds}/frac{fr}/ensemble.h5",
        }
    ]
    for s in seeds("teachers"):
        models.append(
            {"method": "standard", "seed": s, "path": predictions(ds, fr, "teacher", s)}
        )
    for s in seeds("students"):
        models.append(
            {
                "method": "distilled",
                "seed": s,
                "path": predictions(ds, fr, "student", s),
            }
        )
    if "mc_dropout" in base:
        for s in seeds("teachers"):
            models.append(
                {
                    "method": "mc_dropout",
                    "seed": s,
                    "path": f"{OUT}/uncertainty/{ds}/frac{fr}/mc_dropout/seed{s}.h5",
                }
            )
    for method in ("heteroscedastic", "evidential"):
        if method in base:
            for s in seeds("teachers"):
                models.append(
                    {
                        "method": method,
                        "seed": s,
                        "path": predictions(ds, fr, method, s),
                    }
                )
    if "heteroscedastic_distill" in base:
        models.append(
            {
                "method": "heteroscedastic_ensemble",
                "seed": None,
                "path": f"{OUT}/labels/{ds}/frac{fr}/heteroscedastic_ensemble.h5",
            }
        )
        for s in seeds("students"):
            models.append(
                {
                    "method": "heteroscedastic_distill",
                    "seed": s,
                    "path": predictions(ds, fr, "het_student", s),
                }
            )
    return models


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
            files += [p for _, p in reference_entries(ds, fr)]
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
                    "references": reference_entries(ds, fr),
                }
            )
    return entries


KMER = config["kmer_ridge"]  # the k-mer ridge reference (rules/reference.smk)


def kmer_fraction_keys(dataset):
    """Fractions of a dataset at which the k-mer ridge reference is fitted (none if off)."""
    if not KMER["enabled"]:
        return []
    if KMER["fractions"] == "all":
        return fraction_keys(dataset)
    return [fraction_key(max(DATASETS[dataset]["fractions"]))]


def kmer_predictions(dataset, fraction):
    return f"{OUT}/reference/{dataset}/frac{fraction}/kmer_ridge.h5"


def reference_entries(ds, fr):
    """(method, predictions file) of the non-neural references of one dataset and fraction."""
    if fr not in kmer_fraction_keys(ds):
        return []
    return [("kmer_ridge", kmer_predictions(ds, fr))]


def all_targets():
    return [f"{OUT}/metrics/training.csv"] + [
        f"{OUT}/figures/{fig}.{ext}" for fig in FIGURES for ext in ("pdf", "png", "csv")
    ]


# ------------------------------------------- EvoAug, covariate shift, ensemble size


def first_students(block):
    """The first n student seeds of an analysis (n = <block>.n_students, default all)."""
    return seeds("students")[: config[block].get("n_students", config["students"]["n"])]


def oracle_seeds():
    return seed_range(ROB["oracle"])


def member_models(ds, fr, ensemble):
    """The teacher models behind one labels file (ensemble, evoaug_ensemble, ensemble_k<k>)."""
    if ensemble == "evoaug_ensemble":
        role, members = "evoaug_teacher", oracle_seeds()
    elif ensemble == "ensemble":
        role, members = "teacher", seeds("teachers")
    else:  # ensemble_k<k>: the first k standard teachers
        role, members = "teacher", teacher_seeds(int(ensemble[len("ensemble_k") :]))
    return paths_of(model_paths(ds, fr, role, members))


def teacher_seeds(k):
    """The first k teacher seeds (k may exceed teachers.n: ensemble-size analysis)."""
    return seed_range(config["teachers"], k)


def student_labels(wc):
    """Labels file a static DEGU student of the {student} wildcard is distilled from."""
    base = f"{OUT}/labels/{wc.dataset}/frac{wc.fraction}"
    if wc.student == "student":
        return f"{base}/ensemble.h5"
    if wc.student == "oracle_student":
        return f"{base}/evoaug_ensemble.h5"
    return f"{base}/ensemble_k{wc.student[len('student_k') :]}.h5"


def dynamic_ensemble():
    """The ensemble that labels the dynamic students' minibatches (robustness.distill_from)."""
    return "evoaug_ensemble" if ROB["distill_from"] == "oracle" else "ensemble"


def robustness_procedures():
    """{procedure: (model directory role, seeds)} of the Fig. 3 / Supp. Fig. 5 comparison."""
    students = first_students("robustness")
    procs = {"standard": ("teacher", seeds("teachers"))}
    if ROB["distill_from"] == "oracle":
        procs["oracle_distilled"] = ("oracle_student", students)
    else:
        procs["distilled"] = ("student", students)
    for scheme in ROB["schemes"]:
        procs[f"dynamic_{scheme}"] = (f"dynamic_{scheme}", students)
    return procs


def model_paths(ds, fr, role, seed_list, name="model.keras"):
    return [(s, f"{OUT}/models/{ds}/frac{fr}/{role}/seed{s}/{name}") for s in seed_list]


def robustness_test_models():
    """Models compared on the test set (Supp. Figs. 2 and 5)."""
    ds, fr = ROB_DS, ROB_FR
    out = {
        p: model_paths(ds, fr, role, s, "predictions.h5")
        for p, (role, s) in robustness_procedures().items()
    }
    # Supp. Fig. 2 without EvoAug: the main grid's students of the standard ensemble (as many
    # as the EvoAug students; with distill_from: standard these are Fig. 3's DEGU models)
    out.setdefault(
        "distilled",
        model_paths(ds, fr, "student", first_students("robustness"), "predictions.h5"),
    )
    out["evoaug_standard"] = model_paths(
        ds, fr, "evoaug_teacher", oracle_seeds(), "predictions.h5"
    )
    out["evoaug_distilled"] = model_paths(
        ds, fr, "evoaug_student", first_students("robustness"), "predictions.h5"
    )
    return out


def robustness_ensembles():
    base = f"{OUT}/labels/{ROB_DS}/frac{ROB_FR}"
    return {
        "ensemble": f"{base}/ensemble.h5",
        "evoaug_ensemble": f"{base}/evoaug_ensemble.h5",
    }


def ensemble_size_entries():
    """Per size k: its first-k teachers, labels and students. The main ensemble (k = M) and
    its students are reused, so no model is trained twice."""
    ds, m = ENS_DS, config["teachers"]["n"]
    entries = []
    for k in ENS["sizes"]:
        same = k == m
        entries.append(
            {
                "k": k,
                "teachers": model_paths(
                    ds, FULL, "teacher", teacher_seeds(k), "predictions.h5"
                ),
                "labels": f"{OUT}/labels/{ds}/frac{FULL}/"
                + ("ensemble.h5" if same else f"ensemble_k{k}.h5"),
                "students": model_paths(
                    ds,
                    FULL,
                    "student" if same else f"student_k{k}",
                    first_students("ensemble_size"),
                    "predictions.h5",
                ),
            }
        )
    return entries


def paths_of(entries_or_models):
    return [p for _, p in entries_or_models]


def trained_models():
    """(dataset, fraction key, predictions file) of every network the run trains."""
    out = set()
    for ds in DATASETS:
        for fr in fraction_keys(ds):
            for role, kind in (("teacher", "teachers"), ("student", "students")):
                files = model_paths(ds, fr, role, seeds(kind), "predictions.h5")
                out |= {(ds, fr, p) for _, p in files}
    for ds in calibrated_datasets():
        out |= {(ds, UNC_FRACTION, m["path"]) for m in calibration_models(ds)}
    if ROB_DS:
        for files in robustness_test_models().values():
            out |= {(ROB_DS, ROB_FR, p) for _, p in files}
    if ENS_DS:
        for e in ensemble_size_entries():
            out |= {(ENS_DS, FULL, p) for _, p in e["teachers"] + e["students"]}
    # only trained models: not ensemble label files or MC-dropout outputs
    return sorted(x for x in out if "/models/" in x[2])
