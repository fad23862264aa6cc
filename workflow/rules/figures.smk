# Figures: one rule per figure family, a family being the figures drawn from one table (the
# modules of degu.plots). Every figure is a named target results/<run>/figures/<fig>.{pdf,png,csv}
# (the CSV holds the plotted numbers) and its PNG a report item with the caption
# ../report/<fig>.rst, in a category named after the paper section (`snakemake --report`).
# Which figures a config makes, their inputs, outputs and report entries: figure_functions.smk
# (Snakemake's linter wants functions and rules in separate files).


include: "figure_functions.smk"


# Fig. 2, 5a, 5b: activity, epistemic and aleatoric Pearson r vs training fraction.
rule performance_figures:
    input:
        **family_inputs("performance"),
    output:
        **family_outputs("performance"),
    log:
        "results/{run}/logs/figures/performance.log",
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 10),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        figures=family_figures("performance"),
        options={},
    script:
        "../scripts/figures.py"


# Fig. 5c, 5d, Supp. Figs. 8, 11, 12: interval coverage, size and accuracy per method.
if family_figures("calibration"):

    rule calibration_figures:
        input:
            **family_inputs("calibration"),
        output:
            **family_outputs("calibration"),
        log:
            "results/{run}/logs/figures/calibration.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("calibration"),
            options={"main_dataset": main_calibration_dataset(), "alpha": UNC["alpha"]},
        script:
            "../scripts/figures.py"


# Fig. 3, Supp. Figs. 2, 4, 5: EvoAug and covariate shift.
if family_figures("robustness"):

    rule robustness_figures:
        input:
            **family_inputs("robustness"),
        output:
            **family_outputs("robustness"),
        log:
            "results/{run}/logs/figures/robustness.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("robustness"),
            options={},
        script:
            "../scripts/figures.py"


# Supp. Fig. 3: teacher-ensemble size.
if family_figures("ensemble_size"):

    rule ensemble_size_figures:
        input:
            **family_inputs("ensemble_size"),
        output:
            **family_outputs("ensemble_size"),
        log:
            "results/{run}/logs/figures/ensemble_size.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("ensemble_size"),
            options={},
        script:
            "../scripts/figures.py"


# Fig. 4, Supp. Figs. 6, 7 and the planted-motif recovery figure: attribution maps.
if family_figures("attribution"):

    rule attribution_figures:
        input:
            **family_inputs("attribution"),
        output:
            **family_outputs("attribution"),
        log:
            "results/{run}/logs/figures/attribution.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("attribution"),
            options={
                "datasets": ATTR_DS,
                "fig4_datasets": ATTR.get("fig4_datasets") or ATTR_DS,
                "fig4_method": ATTR["fig4_method"],
            },
        script:
            "../scripts/figures.py"


# Fig. 6, Supp. Figs. 13-15: CAGI5 zero-shot variant effects.
if family_figures("variant_effects"):

    rule variant_effects_figures:
        input:
            **family_inputs("variant_effects"),
        output:
            **family_outputs("variant_effects"),
        log:
            "results/{run}/logs/figures/variant_effects.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("variant_effects"),
            options={
                "loci": list(VE_LOCI),
                "fig6_loci": VE.get("fig6_loci") or list(VE_LOCI),
                "fig6_method": VE["fig6_method"],
                "heatmap_locus": VE.get("heatmap_locus")
                or (VE.get("fig6_loci") or list(VE_LOCI))[0],
                "methods": VE["methods"],
            },
        script:
            "../scripts/figures.py"


# Supp. Fig. 1: ATAC-seq profiles.
if family_figures("atac"):

    rule atac_figures:
        input:
            **family_inputs("atac"),
        output:
            **family_outputs("atac"),
        log:
            "results/{run}/logs/figures/atac.log",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            figures=family_figures("atac"),
            options={},
        script:
            "../scripts/figures.py"
