# Self-describing model bundles (docs/predict.md): for each calibrated dataset, the standard
# teachers, the DEGU students and their teacher ensemble at the calibration fraction, each as
# results/<run>/bundles/<dataset>/<name>/{model.keras,degu.json} with the conformal scales of
# the calibration analysis; `degu predict --model <bundle>` applies one to new sequences.
# One light job per dataset (no TensorFlow).

# {name, model, predictions} of every bundled model: "<role>_seed<seed>"
BUNDLE_MODELS = {
    ds: [
        {
            "name": f"{role}_seed{s}",
            "model": model_paths(ds, UNC_FRACTION, role, [s])[0][1],
            "predictions": predictions(ds, UNC_FRACTION, role, s),
        }
        for role, kind in (("teacher", "teachers"), ("student", "students"))
        for s in seeds(kind)
    ]
    for ds in calibrated_datasets()
}
BUNDLE_NAMES = [m["name"] for m in next(iter(BUNDLE_MODELS.values()), [])]
BUNDLE_TARGETS = [at(BUNDLE_ENSEMBLE, dataset=ds) for ds in BUNDLE_MODELS]


rule bundles:
    input:
        dataset=DATASET_H5,
        calibration=CALIBRATION_CSV,
        models=lambda wc: [
            m[k] for m in BUNDLE_MODELS[wc.dataset] for k in ("model", "predictions")
        ],
    output:
        models=[
            fill(BUNDLE_FILE, name=name, file=f)
            for name in BUNDLE_NAMES
            for f in ("model.keras", "degu.json")
        ],
        ensemble=BUNDLE_ENSEMBLE,
    log:
        "results/{run}/logs/bundles/{dataset}.log",
    wildcard_constraints:
        dataset=alternatives(calibrated_datasets()),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        models=lambda wc: BUNDLE_MODELS[wc.dataset],
        ensemble_members=[f"teacher_seed{s}" for s in seeds("teachers")],
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        alpha=UNC["alpha"],
        out_dir=lambda wc: fill(BUNDLE_DIR, run=wc.run, dataset=wc.dataset),
    script:
        "../scripts/bundle.py"
