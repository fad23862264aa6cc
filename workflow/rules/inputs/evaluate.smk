# Input functions and params of rules/evaluate.smk.


def kmer_fraction_keys(dataset):
    """Fractions of a dataset at which the k-mer ridge reference is fitted (none if off)."""
    if not KMER["enabled"]:
        return []
    if KMER["fractions"] == "all":
        return fraction_keys(dataset)
    return [fraction_key(max(DATASETS[dataset]["fractions"]))]


def reference_entries(ds, fr):
    """(method, predictions file) of the non-neural references of one dataset and fraction."""
    if fr not in kmer_fraction_keys(ds):
        return []
    return [("kmer_ridge", kmer_predictions(ds, fr))]


def evaluation_inputs(wildcards=None):
    files = []
    for ds in DATASETS:
        for fr in fraction_keys(ds):
            files.append(dataset_h5(ds))
            files.append(labels_h5(ds, fr))
            for role, kind in (("teacher", "teachers"), ("student", "students")):
                for s in seeds(kind):
                    files.append(predictions(ds, fr, role, s))
            files += [p for _, p in reference_entries(ds, fr)]
    return sorted(set(files))


def evaluation_entries():
    entries = []
    for ds in DATASETS:
        for fr in fraction_keys(ds):
            entries.append(
                {
                    "dataset": ds,
                    "fraction": float(fr),
                    "dataset_h5": dataset_h5(ds),
                    "labels_h5": labels_h5(ds, fr),
                    "teachers": model_paths(
                        ds, fr, "teacher", seeds("teachers"), "predictions.h5"
                    ),
                    "students": model_paths(
                        ds, fr, "student", seeds("students"), "predictions.h5"
                    ),
                    "references": reference_entries(ds, fr),
                }
            )
    return entries
