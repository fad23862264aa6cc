# Uncertainty calibration (paper Methods): 95% interval coverage and size of every
# method and uncertainty kind on the test set, before and after conformal scaling
# calibrated on the validation set.


rule calibration:
    input:
        dataset="results/{run}/data/{dataset}/dataset.h5",
        models=lambda wc: [m["path"] for m in calibration_models(wc.dataset)],
        truth=lambda wc: [ground_truth(wc.dataset)] if ground_truth(wc.dataset) else [],
    output:
        "results/{run}/metrics/calibration/{dataset}.csv",
    log:
        "results/{run}/logs/calibration/{dataset}.log",
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
