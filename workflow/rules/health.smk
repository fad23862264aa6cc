# Training health of every network the run trains: best and last epoch, budget, final LR.


include: "inputs/health.smk"


rule training_health:
    input:
        [path for _, _, path in trained_models()],
    output:
        TRAINING_CSV,
    log:
        log_file("training_health"),
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
