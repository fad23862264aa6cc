# Test-set metrics of every standard model, student and ensemble in one tidy CSV.


rule evaluate:
    input:
        evaluation_inputs(),
    output:
        "results/{run}/metrics/performance.csv",
    log:
        "results/{run}/logs/evaluate.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 8000),
    params:
        entries=evaluation_entries(),
    script:
        "../scripts/evaluate.py"


# Teacher-ensemble size (Supp. Fig. 3): the first k teachers, their ensemble and its students.
rule ensemble_size_metrics:
    input:
        dataset=f"{OUT}/data/{ENS_DS}/dataset.h5",
        files=[
            p
            for e in ensemble_size_entries()
            for p in [e["labels"]] + paths_of(e["teachers"]) + paths_of(e["students"])
        ],
    output:
        "results/{run}/metrics/ensemble_size.csv",
    log:
        "results/{run}/logs/ensemble_size_metrics.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 8000),
    params:
        dataset=ENS_DS,
        entries=ensemble_size_entries(),
    script:
        "../scripts/ensemble_size_metrics.py"


# Training health of every network the run trains: best and last epoch, budget, final LR.
rule training_health:
    input:
        [path for _, _, path in trained_models()],
    output:
        "results/{run}/metrics/training.csv",
    log:
        "results/{run}/logs/training_health.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 2000),
    params:
        models=[
            {"dataset": ds, "fraction": float(fr), "path": path}
            for ds, fr, path in trained_models()
        ],
    script:
        "../scripts/training_health.py"
