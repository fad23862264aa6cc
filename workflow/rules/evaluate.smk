# Test-set metrics of every standard model, student and ensemble in one tidy CSV.


include: "inputs/evaluate.smk"


rule evaluate:
    input:
        evaluation_inputs(),
    output:
        PERFORMANCE_CSV,
    log:
        log_file("evaluate"),
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
