# Standard training: one job per (dataset, fraction, seed). These models are both the
# "standard" baseline and the teacher ensemble.


rule train_teacher:
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
    output:
        model=model_file("teacher", "model.keras"),
        history=model_file("teacher", "history.csv"),
        predictions=model_file("teacher", "predictions.h5"),
        meta=model_file("teacher", "degu.json"),
    log:
        log_file("train_teacher/{dataset}/frac{fraction}/seed{seed}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="teacher",
        method="standard",
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"


# EvoAug-trained models (paper Methods): one augmentation per minibatch from the EvoAug list,
# then the fine-tune stage on the original data. Together they are the in-silico oracle of
# the covariate-shift analysis and the EvoAug teachers of Supp. Fig. 2.
rule train_evoaug_teacher:
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
    output:
        model=model_file("evoaug_teacher", "model.keras"),
        history=model_file("evoaug_teacher", "history.csv"),
        predictions=model_file("evoaug_teacher", "predictions.h5"),
        meta=model_file("evoaug_teacher", "degu.json"),
    log:
        log_file("train_evoaug_teacher/{dataset}/frac{fraction}/seed{seed}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="teacher",
        method="evoaug_standard",
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        augmentation={"kind": "evoaug", "n_min": EVO["n_min"], "n_max": EVO["n_max"]},
        augmentations=EVO["augmentations"],
        finetune=EVO["finetune"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"
