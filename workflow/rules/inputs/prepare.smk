# Input functions and params of rules/prepare.smk.
from degu.config import split_minimums


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
