# CAGI5 zero-shot variant effects (Fig. 6, Supp. Figs. 13-15): every variant of each locus
# scored by the standard models, DEGU students, students distilled with dynamic augmentations
# (rules/distill.smk: train_dynamic_student on the locus's dataset) and the ensemble.


include: "inputs/variant_effects.smk"


if VE_LOCI and VE["source"] == "simulate":

    rule simulate_cagi5:
        """Saturation-mutagenesis loci in the official CAGI5 format, with a genome FASTA, an
        elements table and the true effects (network-free; degu.assays.simulate)."""
        output:
            variants=[
                variant_raw(f"{s}_{locus}.tsv")
                for locus in VE_LOCI
                for s in ("release", "challenge")
            ],
            genome=variant_raw("genome.fa"),
            elements=variant_raw("elements.csv"),
            truth=variant_raw("cagi5_truth.tsv"),
        log:
            at(log_file("simulate_cagi5")),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 2000),
        params:
            loci={locus: ve_simulated_cell_type(locus) for locus in VE_LOCI},
            simulate=VE["simulate"],
        script:
            "../scripts/simulate_cagi5.py"


if VE_LOCI and VE["reference"]["source"] == "download":

    rule download_variant_genome:
        """The reference genome (gzip FASTA), verified against its manifest."""
        input:
            manifest=project_path(VE["reference"].get("manifest", "")),
        output:
            temp(variant_raw(f"genome/{VE['reference'].get('file', 'genome.fa.gz')}")),
        log:
            at(log_file("download_variant_genome")),
        retries: 2
        conda:
            "../../envs/degu.yaml"
        threads: res("download", "threads", 1)
        resources:
            runtime=res_per_attempt("download", "runtime", 120),
            mem_mb=res_per_attempt("download", "mem_mb", 2000),
        script:
            "../scripts/download.py"

    rule decompress_variant_genome:
        """gzip -> plain FASTA, which pyfaidx indexes (it cannot index plain gzip)."""
        input:
            variant_raw(f"genome/{VE['reference'].get('file', 'genome.fa.gz')}"),
        output:
            variant_raw(f"genome/{ve_genome_name()}"),
        log:
            at(log_file("decompress_variant_genome")),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 60),
            mem_mb=res_per_attempt("light", "mem_mb", 2000),
        script:
            "../scripts/decompress.py"


if VE_LOCI:

    rule score_variants:
        """Effects and uncertainties of one locus's variants under every model."""
        input:
            unpack(ve_score_inputs),
        output:
            windows=VARIANT_WINDOWS,
            predictions=VARIANT_PREDICTIONS,
        log:
            log_file("score_variants/{locus}"),
        wildcard_constraints:
            locus=alternatives(list(VE_LOCI)),
        conda:
            "../../envs/degu.yaml"
        threads: res("variant_effects", "threads", 1)
        resources:
            gpu=res("variant_effects", "gpu", 1),
            runtime=res_per_attempt("variant_effects", "runtime", 60),
            mem_mb=res_per_attempt("variant_effects", "mem_mb", 16000),
        params:
            locus=lambda wc: wc.locus,
            cell_type=lambda wc: ve_cell_type(wc.locus),
            variant_files=lambda wc: ve_variant_files(wc.locus),
            sheet=lambda wc: VE["sheet"],
            reference=ve_reference(),
            element=lambda wc: VE_LOCI[wc.locus].get("element", wc.locus),
            edge=VE["edge"],
            index=VE["index"],
            models=lambda wc: ve_models(wc.locus),
            ensemble=lambda wc: ve_ensemble(wc.locus),
            batch_size=VE["batch_size"],
        script:
            "../scripts/score_variants.py"

    rule variant_effects_metrics:
        """metrics/variant_effects.csv (per locus, method, seed, quantile), the per-variant
        predictions and the window/reference-check counts."""
        input:
            ve_metrics_inputs(),
        output:
            summary=VARIANT_EFFECTS_CSV,
            predictions=VARIANT_PREDICTIONS_CSV,
            windows=VARIANT_WINDOWS_CSV,
        log:
            log_file("variant_effects_metrics"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 30),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        params:
            loci={locus: ve_locus_entry(locus) for locus in VE_LOCI},
            stratify=VE["stratify"],
            quantiles=VE["quantiles"],
        script:
            "../scripts/variant_effects_metrics.py"
