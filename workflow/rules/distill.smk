# DEGU distillation: one student (2N outputs; 3N with aleatoric) per (dataset, fraction, seed).


rule train_student:
    input:
        dataset="results/{run}/data/{dataset}/dataset.h5",
        labels="results/{run}/labels/{dataset}/frac{fraction}/ensemble.h5",
    output:
        model=model_file("student", "model.keras"),
        history=model_file("student", "history.csv"),
        predictions=model_file("student", "predictions.h5"),
    log:
        "results/{run}/logs/train_student/{dataset}/frac{fraction}/seed{seed}.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("train", "threads", 1)
    resources:
        gpu=res("train", "gpu", 1),
        runtime=res_per_attempt("train", "runtime", 360),
        mem_mb=res_per_attempt("train", "mem_mb", 32000),
    params:
        architecture=lambda wc: DATASETS[wc.dataset]["architecture"],
        model_params=lambda wc: DATASETS[wc.dataset]["model_params"],
        training=lambda wc: training_config(wc.dataset),
        lam=config["distillation"]["lambda"],
        gamma=config["distillation"]["gamma"],
        prediction_batch_size=config["prediction_batch_size"],
        deterministic=config["deterministic"],
    script:
        "../scripts/train.py"
