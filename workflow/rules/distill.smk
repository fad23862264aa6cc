# DEGU distillation: one student (2N outputs; 3N with aleatoric) per (dataset, fraction, seed).
# {student} is "student" (the main grid, from the teacher ensemble), "oracle_student" (from
# the EvoAug oracle, Fig. 3) or "student_k<k>" (from the first k teachers, Supp. Fig. 3).


include: "inputs/distill.smk"


rule train_student:
    input:
        dataset=DATASET_H5,
        labels=student_labels,
    output:
        model=model_file("{student}", "model.keras"),
        history=model_file("{student}", "history.csv"),
        predictions=model_file("{student}", "predictions.h5"),
        meta=model_file("{student}", "degu.json"),
    log:
        log_file("train_{student}/{dataset}/frac{fraction}/seed{seed}"),
    wildcard_constraints:
        student=r"student|oracle_student|student_k[0-9]+",
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="student",
        method=lambda wc: (
            "oracle_distilled" if wc.student == "oracle_student" else "distilled"
        ),
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


# EvoAug student (Supp. Fig. 2): distilled from the EvoAug ensemble's labels of the original
# sequences and trained with EvoAug like its teachers (labels unchanged by augmentation).
rule train_evoaug_student:
    input:
        dataset=DATASET_H5,
        labels=fill(LABELS_H5, ensemble="evoaug_ensemble"),
    output:
        model=model_file("evoaug_student", "model.keras"),
        history=model_file("evoaug_student", "history.csv"),
        predictions=model_file("evoaug_student", "predictions.h5"),
        meta=model_file("evoaug_student", "degu.json"),
    log:
        log_file("train_evoaug_student/{dataset}/frac{fraction}/seed{seed}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="student",
        method="evoaug_distilled",
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        lam=config["distillation"]["lambda"],
        gamma=config["distillation"]["gamma"],
        standardize_targets=config["distillation"]["standardize_targets"],
        augmentation={"kind": "evoaug", "n_min": EVO["n_min"], "n_max": EVO["n_max"]},
        augmentations=EVO["augmentations"],
        finetune=EVO["finetune"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"


# Dynamic-augmentation distillation (Fig. 3): every minibatch is replaced by an augmented
# copy (scheme from robustness.schemes) that the teacher ensemble labels inside the training
# graph; validation and early stopping use the original validation data.
rule train_dynamic_student:
    input:
        dataset=DATASET_H5,
        labels=lambda wc: labels_h5(
            wc.dataset, wc.fraction, dynamic_ensemble(wc.dataset)
        ),
        teachers=lambda wc: member_models(
            wc.dataset, wc.fraction, dynamic_ensemble(wc.dataset)
        ),
    output:
        model=model_file("dynamic_{scheme}", "model.keras"),
        history=model_file("dynamic_{scheme}", "history.csv"),
        predictions=model_file("dynamic_{scheme}", "predictions.h5"),
        meta=model_file("dynamic_{scheme}", "degu.json"),
    log:
        log_file("train_dynamic_student/{dataset}/frac{fraction}/{scheme}/seed{seed}"),
    wildcard_constraints:
        scheme=alternatives(list(ROB["schemes"])),
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        role="student",
        method=lambda wc: f"dynamic_{wc.scheme}",
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        lam=config["distillation"]["lambda"],
        gamma=config["distillation"]["gamma"],
        standardize_targets=config["distillation"]["standardize_targets"],
        augmentation=lambda wc: ROB["schemes"][wc.scheme],
        augmentations=EVO["augmentations"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"
