# Input functions and params of rules/attribution.smk.


def attribution_entry(ds):
    """What the metrics job reads for one dataset: the dataset, the maps of every teacher
    (the standard models, whose average is the ensemble map) and every student, and the
    simulator's ground truth where there is one."""
    truth = ground_truth(ds)
    src = DATASETS[ds].get("raw_from", ds)  # the simulated source: its assay, cell type
    d = DATASETS[src]
    return {
        "dataset_h5": dataset_h5(ds),
        "teachers": {
            s: attribution_maps(ds, ATTR_FR, "teacher", s) for s in seeds("teachers")
        },
        "students": {
            s: attribution_maps(ds, ATTR_FR, "student", s) for s in seeds("students")
        },
        "truth": (
            None
            if truth is None
            else {
                "tsv": truth,
                "assay": d["assay"],
                "cell_type": d.get("simulate", {}).get("cell_type"),
            }
        ),
    }


def attribution_entries():
    return {ds: attribution_entry(ds) for ds in ATTR_DS}


def attribution_metrics_inputs():
    files = []
    for e in attribution_entries().values():
        files += [e["dataset_h5"], *e["teachers"].values(), *e["students"].values()]
        files += [e["truth"]["tsv"]] if e["truth"] else []
    return files
