# Input functions and params of rules/health.smk: every network the run trains, gathered from
# the other stages' input functions (so this file is included after theirs).


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
    if VE_LOCI:
        out |= ve_trained_models()
    if ATAC_DS:
        out |= atac_trained_models()
    # only trained models: not ensemble label files or MC-dropout outputs
    return sorted(x for x in out if "/models/" in x[2])
