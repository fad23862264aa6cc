# Covariate-shift (OOD) analysis (Fig. 3, Supp. Figs. 2, 4, 5): the shifted test sets labelled
# by the EvoAug oracle, every procedure's predictions on them, and one tidy metrics table.


include: "inputs/ood.smk"


rule shifted_test_sets:
    input:
        dataset=DATASET_H5,
        oracle=lambda wc: member_models(wc.dataset, ROB_FR, "evoaug_ensemble"),
    output:
        shifted=SHIFTED_H5,
        oracle_activity=ORACLE_ACTIVITY_CSV,
    log:
        log_file("shifted_test_sets/{dataset}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("labels", "threads", 1)
    resources:
        gpu=res("labels", "gpu", 1),
        runtime=res_per_attempt("labels", "runtime", 120),
        mem_mb=res_per_attempt("labels", "mem_mb", 32000),
    params:
        shifts=ROB["shifts"],
        augmentations=EVO["augmentations"],
        seed=ROB["shift_seed"],
        batch_size=ROB["shift_batch_size"],
        prediction_batch_size=config["prediction_batch_size"],
    script:
        "../scripts/shifted_test_sets.py"


rule ood_predict:
    input:
        shifted=SHIFTED_H5,
        models=lambda wc: paths_of(
            model_paths(wc.dataset, ROB_FR, *robustness_procedures()[wc.procedure])
        ),
    output:
        OOD_PREDICTIONS_H5,
    log:
        log_file("ood_predict/{dataset}/{procedure}"),
    wildcard_constraints:
        procedure=alternatives(list(robustness_procedures())),
    conda:
        "../../envs/degu.yaml"
    threads: res("labels", "threads", 1)
    resources:
        gpu=res("labels", "gpu", 1),
        runtime=res_per_attempt("labels", "runtime", 120),
        mem_mb=res_per_attempt("labels", "mem_mb", 32000),
    params:
        seeds=lambda wc: robustness_procedures()[wc.procedure][1],
        prediction_batch_size=config["prediction_batch_size"],
    script:
        "../scripts/ood_predict.py"


rule robustness_metrics:
    input:
        dataset=dataset_h5(ROB_DS),
        shifted=at(SHIFTED_H5, dataset=ROB_DS),
        ood=list(ood_predictions().values()),
        models=[p for m in robustness_test_models().values() for p in paths_of(m)],
        ensembles=list(robustness_ensembles().values()),
    output:
        ROBUSTNESS_CSV,
    log:
        log_file("robustness_metrics"),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 8000),
    params:
        dataset=ROB_DS,
        ood=ood_predictions(),
        test_models=robustness_test_models(),
        ensembles=robustness_ensembles(),
    script:
        "../scripts/robustness_metrics.py"
