# Teacher-ensemble size (Supp. Fig. 3): the first k teachers, their ensemble and its students.


include: "inputs/ensemble_size.smk"


rule ensemble_size_metrics:
    input:
        dataset=dataset_h5(ENS_DS),
        files=[
            p
            for e in ensemble_size_entries()
            for p in [e["labels"]] + paths_of(e["teachers"]) + paths_of(e["students"])
        ],
    output:
        ENSEMBLE_SIZE_CSV,
    log:
        log_file("ensemble_size_metrics"),
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
