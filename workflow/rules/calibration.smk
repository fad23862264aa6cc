# Uncertainty calibration (paper Methods): 95% interval coverage and size of every
# method and uncertainty kind on the test set, before and after conformal scaling
# calibrated on the validation set.


include: "inputs/calibration.smk"


rule calibration:
    input:
        dataset=DATASET_H5,
        models=lambda wc: [m["path"] for m in calibration_models(wc.dataset)],
        truth=lambda wc: [ground_truth(wc.dataset)] if ground_truth(wc.dataset) else [],
    output:
        CALIBRATION_CSV,
    log:
        log_file("calibration/{dataset}"),
    wildcard_constraints:
        dataset=alternatives(calibrated_datasets()),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 8000),
    params:
        models=lambda wc: calibration_models(wc.dataset),
        alpha=UNC["alpha"],
        reverse_pattern=lambda wc: DATASETS[wc.dataset]["reverse_pattern"],
    script:
        "../scripts/calibration.py"
