# Ensemble labels: the members' mean and std (ddof=0) per sequence. {ensemble} is the main
# teacher ensemble ("ensemble"), the EvoAug-trained oracle ("evoaug_ensemble") or the first k
# standard teachers ("ensemble_k<k>", teacher-ensemble size analysis).


include: "inputs/labels.smk"


rule ensemble_labels:
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
        teachers=lambda wc: member_models(wc.dataset, wc.fraction, wc.ensemble),
    output:
        LABELS_H5,
    log:
        log_file("ensemble_labels/{dataset}/frac{fraction}/{ensemble}"),
    wildcard_constraints:
        ensemble=r"ensemble|evoaug_ensemble|ensemble_k[0-9]+",
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
