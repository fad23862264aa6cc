# Every file the workflow writes under results/{run}/, in one place.
#
# Upper-case names are path patterns with wildcards; rules use them (or the *_file helpers,
# which fill in some wildcards) as outputs. Input functions and params name one file of this
# run with the lower-case functions, which fill in every wildcard (`at`).
# Logs: results/{run}/logs/<rule>/<wildcards>.log (`log_file`).
# (The figure paths are still in common.smk: figure_inputs, all_targets.)


def fill(pattern, **values):
    """`pattern` with the named wildcards replaced by `values`; the others stay wildcards."""
    return re.sub(
        r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), pattern
    )


def at(pattern, **values):
    """One file of this run: `pattern` with {run} and the given wildcards filled in."""
    return fill(pattern, run=RUN, **values)


def log_file(name):
    """The log of a job: results/{run}/logs/<name>.log (`name` may hold wildcards)."""
    return f"results/{{run}}/logs/{name}.log"


# ------------------------------------------------------------------------ data/{dataset}
RAW_DIR = "results/{run}/data/{dataset}/raw"
RAW_FILE = "results/{run}/data/{dataset}/raw/{name}"
DATASET_H5 = "results/{run}/data/{dataset}/dataset.h5"
SUBSETS_H5 = "results/{run}/data/{dataset}/subsets.h5"


def raw_file(name):
    """Pattern of one downloaded, extracted or simulated raw file (`name` may be a wildcard)."""
    return fill(RAW_FILE, name=name)


def raw_dir(dataset):
    """Where a dataset's raw files are (its own, or those of its raw_from dataset)."""
    src = DATASETS[dataset].get("raw_from", dataset)
    d = DATASETS[src]
    return d["local_dir"] if d["source"] == "local" else at(RAW_DIR, dataset=src)


def dataset_h5(dataset):
    return at(DATASET_H5, dataset=dataset)


# ---------------------------------------------- models/{dataset}/frac{fraction}/{model}/seed{seed}
# {model} is a model directory: teacher, student, heteroscedastic, evoaug_teacher, ...
MODEL_FILE = "results/{run}/models/{dataset}/frac{fraction}/{model}/seed{seed}/{name}"


def model_file(model, name):
    """Path pattern of one file of a trained model (teacher, student or a baseline)."""
    return fill(MODEL_FILE, model=model, name=name)


def model_paths(ds, fr, role, seed_list, name="model.keras"):
    """[(seed, file)] of the models of one directory (`role`) and the given seeds."""
    return [
        (s, at(MODEL_FILE, dataset=ds, fraction=fr, model=role, seed=s, name=name))
        for s in seed_list
    ]


def predictions(ds, fr, role, seed):
    return model_paths(ds, fr, role, [seed], "predictions.h5")[0][1]


# ------------------------------------------------- labels, uncertainty baselines, reference
# {ensemble}: ensemble (the teachers), evoaug_ensemble (the oracle), ensemble_k<k>,
# heteroscedastic_ensemble
LABELS_H5 = "results/{run}/labels/{dataset}/frac{fraction}/{ensemble}.h5"
MC_DROPOUT_H5 = (
    "results/{run}/uncertainty/{dataset}/frac{fraction}/mc_dropout/seed{seed}.h5"
)
KMER_H5 = "results/{run}/reference/{dataset}/frac{fraction}/kmer_ridge.h5"


def labels_h5(dataset, fraction, ensemble="ensemble"):
    return at(LABELS_H5, dataset=dataset, fraction=fraction, ensemble=ensemble)


def mc_dropout_h5(dataset, fraction, seed):
    return at(MC_DROPOUT_H5, dataset=dataset, fraction=fraction, seed=seed)


def kmer_predictions(dataset, fraction):
    return at(KMER_H5, dataset=dataset, fraction=fraction)


# ------------------------------------------------------------------- ood/{dataset} (Fig. 3)
SHIFTED_H5 = "results/{run}/ood/{dataset}/shifted.h5"
ORACLE_ACTIVITY_CSV = "results/{run}/ood/{dataset}/oracle_activity.csv"
OOD_PREDICTIONS_H5 = "results/{run}/ood/{dataset}/predictions/{procedure}.h5"


# -------------------------------- attribution/{dataset}/frac{fraction}/{model} (Fig. 4)
# {model}: teacher or student; one maps file per model (degu.jobs.attribution)
ATTRIBUTION_H5 = (
    "results/{run}/attribution/{dataset}/frac{fraction}/{model}/seed{seed}.h5"
)


def attribution_maps(dataset, fraction, model, seed):
    return at(
        ATTRIBUTION_H5, dataset=dataset, fraction=fraction, model=model, seed=seed
    )


# ------------------------------------ variants/ (CAGI5 variant effects, Fig. 6, Supp. Figs. 13-15)
VARIANT_RAW = "results/{run}/variants/raw/{name}"  # simulated or downloaded inputs
VARIANT_WINDOWS = "results/{run}/variants/{locus}/windows.tsv"
VARIANT_PREDICTIONS = "results/{run}/variants/{locus}/predictions.tsv"


def variant_raw(name):
    return at(VARIANT_RAW, name=name)


# ------------------------------------ atac/{profile}/ (ATAC-seq profiles, Supp. Fig. 1)
ATAC_RAW = "results/{run}/atac/{profile}/raw/{name}"  # simulated or downloaded inputs
ATAC_TRACK = "results/{run}/atac/{profile}/tracks/replicates.{kind}.bw"  # mean, std
ATAC_TRACK_SIZES = "results/{run}/atac/{profile}/tracks/replicates.chrom.sizes"
# {which}: teacher (replicate tracks) or student (the ensemble's tracks)
ATAC_DATASET_H5 = "results/{run}/atac/{profile}/{which}_dataset.h5"
ATAC_MODEL = "results/{run}/atac/{profile}/models/{role}/seed{seed}/{name}"
ATAC_ATTRIBUTION = "results/{run}/atac/{profile}/attribution.csv"
ATAC_ENSEMBLE_BW = (
    "results/{run}/atac/{profile}/ensemble/{kind}.bw"  # mean, aleatoric, epistemic
)


# ------------------------------------------------------------------------- metrics tables
PERFORMANCE_CSV = "results/{run}/metrics/performance.csv"
CALIBRATION_CSV = "results/{run}/metrics/calibration/{dataset}.csv"
ROBUSTNESS_CSV = "results/{run}/metrics/robustness.csv"
ENSEMBLE_SIZE_CSV = "results/{run}/metrics/ensemble_size.csv"
TRAINING_CSV = "results/{run}/metrics/training.csv"
ATTRIBUTION_CSV = "results/{run}/metrics/attribution.csv"
ATTRIBUTION_EXAMPLE_CSV = "results/{run}/metrics/attribution_example.csv"
VARIANT_EFFECTS_CSV = "results/{run}/metrics/variant_effects.csv"
VARIANT_PREDICTIONS_CSV = "results/{run}/metrics/variant_predictions.csv"
VARIANT_WINDOWS_CSV = "results/{run}/metrics/variant_windows.csv"
ATAC_CSV = "results/{run}/metrics/atac.csv"
ATAC_ATTRIBUTION_CSV = "results/{run}/metrics/atac_attribution.csv"
ATTRIBUTION_MOTIFS_CSV = "results/{run}/metrics/attribution_motifs.csv"


# ------------------------------------------------ bundles/{dataset} (docs/predict.md)
BUNDLE_DIR = "results/{run}/bundles/{dataset}"
BUNDLE_FILE = "results/{run}/bundles/{dataset}/{name}/{file}"
BUNDLE_ENSEMBLE = "results/{run}/bundles/{dataset}/ensemble/degu.json"
