# Uncertainty baselines (paper Methods, "Uncertainty-aware models"), trained at
# uncertainty.fraction for datasets that list them: heteroscedastic regression, deep
# evidential regression, MC dropout on the standard models, and DEGU distillation of a
# heteroscedastic ensemble (Supp. Fig. 11). Same optimizer, LR schedule and early
# stopping as standard training; one job per seed.


rule train_baseline:
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
    output:
        model=model_file("{role}", "model.keras"),
        history=model_file("{role}", "history.csv"),
        predictions=model_file("{role}", "predictions.h5"),
        meta=model_file("{role}", "degu.json"),
    log:
        log_file("train_{role}/{dataset}/frac{fraction}/seed{seed}"),
    wildcard_constraints:
        role="heteroscedastic|evidential",
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role=lambda wc: wc.role,
        method=lambda wc: wc.role,
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        evidential_coeff=UNC["evidential_coeff"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"


rule heteroscedastic_labels:
    """Labels from an ensemble of heteroscedastic models: mean and std of mu, mean aleatoric std."""
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
        teachers=expand(
            model_file("heteroscedastic", "model.keras"),
            seed=seeds("teachers"),
            allow_missing=True,
        ),
    output:
        fill(LABELS_H5, ensemble="heteroscedastic_ensemble"),
    log:
        log_file("heteroscedastic_labels/{dataset}/frac{fraction}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("labels", "threads", 1)
    resources:
        gpu=res("labels", "gpu", 1),
        runtime=res_per_attempt("labels", "runtime", 120),
        mem_mb=res_per_attempt("labels", "mem_mb", 32000),
    params:
        kind="heteroscedastic",
        prediction_batch_size=config["prediction_batch_size"],
    script:
        "../scripts/ensemble_labels.py"


rule train_het_student:
    """DEGU student (mean, epistemic, aleatoric) of the heteroscedastic ensemble."""
    input:
        dataset=DATASET_H5,
        labels=fill(LABELS_H5, ensemble="heteroscedastic_ensemble"),
    output:
        model=model_file("het_student", "model.keras"),
        history=model_file("het_student", "history.csv"),
        predictions=model_file("het_student", "predictions.h5"),
        meta=model_file("het_student", "degu.json"),
    log:
        log_file("train_het_student/{dataset}/frac{fraction}/seed{seed}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="student",
        method="heteroscedastic_distill",
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        lam=config["distillation"]["lambda"],
        gamma=config["distillation"]["gamma"],
        standardize_targets=config["distillation"]["standardize_targets"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"


rule mc_dropout:
    """MC dropout: passes with dropout active (BatchNorm in inference mode) on a standard model."""
    input:
        dataset=DATASET_H5,
        model=model_file("teacher", "model.keras"),
    output:
        MC_DROPOUT_H5,
    log:
        log_file("mc_dropout/{dataset}/frac{fraction}/seed{seed}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("uncertainty", "threads", 1)
    resources:
        gpu=res("uncertainty", "gpu", 1),
        runtime=res_per_attempt("uncertainty", "runtime", 120),
        mem_mb=res_per_attempt("uncertainty", "mem_mb", 16000),
    params:
        passes=UNC["mc_dropout_passes"],
        prediction_batch_size=config["prediction_batch_size"],
    script:
        "../scripts/mc_dropout.py"
