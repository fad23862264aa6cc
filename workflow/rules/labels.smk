# Ensemble labels: the M teachers' mean and std (ddof=0) per sequence.


rule ensemble_labels:
    input:
        dataset="results/{run}/data/{dataset}/dataset.h5",
        subsets="results/{run}/data/{dataset}/subsets.h5",
        teachers=expand(
            model_file("teacher", "model.keras"),
            seed=seeds("teachers"),
            allow_missing=True,
        ),
    output:
        "results/{run}/labels/{dataset}/frac{fraction}/ensemble.h5",
    log:
        "results/{run}/logs/ensemble_labels/{dataset}/frac{fraction}.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("labels", "threads", 1)
    resources:
        gpu=res("labels", "gpu", 1),
        runtime=res_per_attempt("labels", "runtime", 120),
        mem_mb=res_per_attempt("labels", "mem_mb", 32000),
    params:
        prediction_batch_size=config["prediction_batch_size"],
    script:
        "../scripts/ensemble_labels.py"
