# Input functions and params of rules/variant_effects.smk.
import os


def ve_dataset(locus):
    return VE_LOCI[locus]["dataset"]


def ve_cell_type(locus):
    """The locus's cell type: its dataset's (single) task."""
    return DATASETS[ve_dataset(locus)]["tasks"][0]


def ve_simulated_cell_type(locus):
    """The cell type whose activity function the CAGI5 simulator uses for a locus."""
    src = DATASETS[ve_dataset(locus)].get("raw_from", ve_dataset(locus))
    return DATASETS[src]["simulate"].get("cell_type", "K562")


def ve_models(locus):
    """{method: {seed: model.keras}} of every procedure the locus is scored with."""
    ds = ve_dataset(locus)
    n = VE.get("n_students", config["students"]["n"])
    out = {}
    for method in VE["methods"]:
        if method == "standard":
            role, seed_list = "teacher", seeds("teachers")
        elif method == "distilled":
            role, seed_list = "student", seeds("students")
        else:
            role, seed_list = method, seeds("students")[:n]
        out[method] = dict(model_paths(ds, VE_FR, role, seed_list))
    return out


def ve_ensemble(locus):
    """The standard models (teachers) whose mean and spread form the ensemble."""
    return paths_of(model_paths(ve_dataset(locus), VE_FR, "teacher", seeds("teachers")))


def ve_variant_files(locus):
    """{set: file} of a locus's CAGI5 variants."""
    if VE["source"] == "simulate":
        return {s: variant_raw(f"{s}_{locus}.tsv") for s in VE["sets"]}
    return {
        s: os.path.join(VE["local_dir"], VE["file"].format(set=s, locus=locus))
        for s in VE["sets"]
    }


def ve_reference():
    """{kind, path} of the reference sequence."""
    ref = VE["reference"]
    kind, source = ref["kind"], ref["source"]
    if source == "simulate":
        path = variant_raw("genome.fa" if kind == "genome" else "elements.csv")
    elif source == "download":
        path = variant_raw(f"genome/{ve_genome_name()}")
    else:
        path = project_path(ref["path"])
    return {"kind": kind, "path": path}


def ve_genome_name():
    """The decompressed genome's file name (the manifest's file without .gz)."""
    name = VE["reference"].get("file", "genome.fa.gz")
    return name[: -len(".gz")] if name.endswith(".gz") else name


def ve_truth(locus):
    return variant_raw("cagi5_truth.tsv") if VE["source"] == "simulate" else None


def existing(paths, user_provided):
    """Inputs; of user-provided files only those that exist, so that a dry run works before
    the files are in place (the job then stops with a one-line error naming the file).
    """
    return [p for p in paths if not user_provided or os.path.exists(p)]


def ve_score_inputs(wc):
    models = [p for by_seed in ve_models(wc.locus).values() for p in by_seed.values()]
    ref = ve_reference()["path"]
    return {
        "variants": existing(
            sorted(set(ve_variant_files(wc.locus).values())), VE["source"] == "local"
        ),
        "reference": existing([ref], VE["reference"]["source"] == "local"),
        "models": sorted(set(models) | set(ve_ensemble(wc.locus))),
    }


def ve_locus_entry(locus):
    """What the metrics job reads for one locus."""
    return {
        "windows": at(VARIANT_WINDOWS, locus=locus),
        "predictions": at(VARIANT_PREDICTIONS, locus=locus),
        "truth": ve_truth(locus),
        "cell_type": ve_cell_type(locus),
    }


def ve_metrics_inputs():
    files = []
    for locus in VE_LOCI:
        e = ve_locus_entry(locus)
        files += [e["windows"], e["predictions"]] + ([e["truth"]] if e["truth"] else [])
    return files


def ve_trained_models():
    """(dataset, fraction key, predictions file) of the dynamic students this analysis trains."""
    out = set()
    for locus in VE_LOCI:
        for method, by_seed in ve_models(locus).items():
            out |= {
                (ve_dataset(locus), VE_FR, str(Path(p).with_name("predictions.h5")))
                for p in by_seed.values()
            }
    return out
