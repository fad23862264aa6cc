# Input functions and params of rules/atac.smk.


def atac_entry(dataset):
    """A profile dataset's config entry with the atac block's shared settings filled in
    (bins, crop, model_params and training may be set per dataset)."""
    entry = ATAC_DS[dataset]
    return {
        "bins": {**ATAC["bins"], **entry.get("bins", {})},
        "crop": entry.get("crop", ATAC["crop"]),
        "model_params": {**ATAC["model_params"], **entry.get("model_params", {})},
        "training": {**ATAC["training"], **entry.get("training", {})},
        **{
            k: v
            for k, v in entry.items()
            if k not in ("bins", "crop", "model_params", "training")
        },
    }


def atac_source(dataset):
    return ATAC_DS[dataset]["source"]


def atac_n_replicates(dataset):
    entry = ATAC_DS[dataset]
    if entry["source"] == "local":
        return len(entry["replicates"])
    if entry["source"] == "encode":
        return entry.get("encode", {}).get("n_replicates", 3)
    return entry.get("simulate", {}).get("n_replicates", 3)


def atac_replicates(dataset):
    """The replicate bigWigs of a dataset (user files for source local)."""
    if atac_source(dataset) == "local":
        return [project_path(p) for p in ATAC_DS[dataset]["replicates"]]
    return [
        at(ATAC_RAW, profile=dataset, name=f"rep{i}.bw")
        for i in range(1, atac_n_replicates(dataset) + 1)
    ]


def atac_genome(dataset):
    """The genome FASTA of a dataset (plain text; pyfaidx indexes it)."""
    src = atac_source(dataset)
    if src == "local":
        return project_path(ATAC_DS[dataset]["genome"])
    if src == "simulate":
        return at(ATAC_RAW, profile=dataset, name="genome.fa")
    return at(ATAC_RAW, profile=dataset, name=atac_genome_name(dataset))


def atac_genome_gz(dataset):
    return ATAC_DS[dataset].get("genome_file", "hg38.fa.gz")


def atac_genome_name(dataset):
    name = atac_genome_gz(dataset)
    return name[: -len(".gz")] if name.endswith(".gz") else name


def atac_tracks(dataset, kind):
    """The replicate mean ('mean') or std ('std') bigWig of a dataset."""
    return at(ATAC_TRACK, profile=dataset, kind=kind)


def atac_model_paths(dataset, role, name="model.keras"):
    block = ATAC["teachers" if role == "teacher" else "students"]
    return {
        s: at(ATAC_MODEL, profile=dataset, role=role, seed=s, name=name)
        for s in seed_range(block)
    }


def atac_ensemble_tracks(dataset):
    """{kind: [bigWig]} of the ensemble's tracks (a profile dataset has one task: one set of
    replicate bigWigs)."""
    return {
        kind: [at(ATAC_ENSEMBLE_BW, profile=dataset, kind=kind)]
        for kind in ("mean", "aleatoric", "epistemic")
    }


def atac_dataset_inputs(wc):
    if wc.which == "teacher":
        tracks = [atac_tracks(wc.profile, "mean"), atac_tracks(wc.profile, "std")]
    else:
        tracks = [p for ps in atac_ensemble_tracks(wc.profile).values() for p in ps]
    return {"genome": atac_genome(wc.profile), "tracks": tracks}


def atac_dataset_params(wc):
    """{target: [bigWig per task]} of the teachers' or the students' dataset."""
    if wc.which == "teacher":
        return {
            "y": [atac_tracks(wc.profile, "mean")],
            "aleatoric": [atac_tracks(wc.profile, "std")],
        }
    ens = atac_ensemble_tracks(wc.profile)
    return {
        "y": ens["mean"],
        "aleatoric": ens["aleatoric"],
        "epistemic": ens["epistemic"],
    }


def atac_bins(wc):
    """The teachers' dataset keeps bins with missing coverage (as 0, WiggleTools' default);
    the students' dataset takes exactly the bins the ensemble predicted (missing -> dropped).
    """
    bins = atac_entry(wc.profile)["bins"]
    return bins if wc.which == "teacher" else {**bins, "missing_value": None}


def atac_metrics_inputs():
    files = []
    for ds in ATAC_DS:
        files += [
            at(ATAC_DATASET_H5, profile=ds, which=w) for w in ("teacher", "student")
        ]
        for role in ("teacher", "student"):
            files += list(atac_model_paths(ds, role, "predictions.h5").values())
    return files


def atac_trained_models():
    """(dataset, fraction key, predictions file) of every profile model (training health)."""
    return {
        (ds, "1.0", p)
        for ds in ATAC_DS
        for role in ("teacher", "student")
        for p in atac_model_paths(ds, role, "predictions.h5").values()
    }


def wiggletools_shell(replicates, mean_bw, chrom_sizes):
    """The WiggleTools engine's commands (degu.assays.tracks.wiggletools_commands) joined
    with &&, then the intermediate bedGraphs removed (tens of GB for hg38); the output prefix
    is the mean track's path without `.mean.bw`."""
    import shlex

    from degu.assays.tracks import track_paths, wiggletools_commands

    prefix = str(mean_bw)[: -len(".mean.bw")]
    bedgraphs = [str(p["bedGraph"]) for p in track_paths(prefix).values()]
    return " && ".join(
        wiggletools_commands(list(replicates), prefix, chrom_sizes)
        + ["rm -f " + " ".join(shlex.quote(b) for b in bedgraphs)]
    )
