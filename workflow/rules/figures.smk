# Figures: each a named target written as PDF, PNG and the CSV of plotted numbers.


rule figure:
    input:
        lambda wc: figure_inputs(wc.figure),
    output:
        pdf="results/{run}/figures/{figure}.pdf",
        png="results/{run}/figures/{figure}.png",
        csv="results/{run}/figures/{figure}.csv",
    log:
        "results/{run}/logs/figures/{figure}.log",
    wildcard_constraints:
        figure=alternatives(FIGURES),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 10),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        main_dataset=main_calibration_dataset(),
        alpha=UNC["alpha"],
    script:
        "../scripts/figure.py"
