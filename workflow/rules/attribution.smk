# Attribution analysis (Fig. 4, Supp. Figs. 6 and 7; paper Methods "Attribution analysis"):
# saliency and DeepSHAP maps of every teacher (standard training) and DEGU student on the
# test sequences with the largest observed activity, their distance to the ensemble-average
# map, their variability across initialisations and, on simulated data, how well they find
# the planted motifs (degu.jobs.attribution).


include: "inputs/attribution.smk"


rule attribution_maps:
    input:
        dataset=DATASET_H5,
        meta=model_file("{model}", "degu.json"),
        model=model_file("{model}", "model.keras"),
    output:
        ATTRIBUTION_H5,
    log:
        log_file("attribution_maps/{dataset}/frac{fraction}/{model}/seed{seed}"),
    wildcard_constraints:
        dataset=alternatives(ATTR_DS),
        model="teacher|student",
    conda:
        "../../envs/degu.yaml"
    threads: res("attribution", "threads", 1)
    resources:
        runtime=res_per_attempt("attribution", "runtime", 60),
        mem_mb=res_per_attempt("attribution", "mem_mb", 8000),
        gpu=res("attribution", "gpu", 1),
    params:
        methods=ATTR["methods"],
        n_sequences=ATTR["n_sequences"],
        n_background=ATTR["n_background"],
        background_seed=ATTR["background_seed"],
        uncertainty_heads=ATTR["uncertainty_heads"],
        saliency_batch_size=ATTR["saliency_batch_size"],
        deepshap_batch_size=ATTR["deepshap_batch_size"],
    script:
        "../scripts/attribution_maps.py"


rule attribution_metrics:
    input:
        attribution_metrics_inputs(),
    output:
        metrics=ATTRIBUTION_CSV,
        example=ATTRIBUTION_EXAMPLE_CSV,
        motifs=ATTRIBUTION_MOTIFS_CSV,
    log:
        log_file("attribution_metrics"),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 30),
        mem_mb=res_per_attempt("light", "mem_mb", 8000),
    params:
        datasets=attribution_entries(),
    script:
        "../scripts/attribution_metrics.py"
