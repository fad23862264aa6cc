# Base-resolution ATAC-seq profiles (Supp. Fig. 1): replicate bigWigs -> mean and std tracks
# (WiggleTools, or the equivalent Python engine) -> 3072-bp bins -> CNN-task-base teachers ->
# the ensemble's predictions as bigWigs -> the students' dataset -> DEGU students -> metrics.


include: "inputs/atac.smk"


wildcard_constraints:
    profile=alternatives(list(ATAC_DS)),
    which="teacher|student",
    role="teacher|student",


if ATAC_SIMULATED:

    rule simulate_atac:
        """Simulated ATAC-seq in the real formats: genome FASTA, replicate bigWigs, the
        noiseless profile and the planted sites (degu.assays.simulate.simulate_atac).
        """
        output:
            genome=fill(ATAC_RAW, name="genome.fa"),
            replicates=[fill(ATAC_RAW, name=f"rep{i}.bw") for i in (1, 2, 3)],
            truth=fill(ATAC_RAW, name="truth.bw"),
            sites=fill(ATAC_RAW, name="sites.tsv"),
        log:
            log_file("simulate_atac/{profile}"),
        wildcard_constraints:
            profile=alternatives(ATAC_SIMULATED),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 2000),
        params:
            simulate=lambda wc: ATAC_DS[wc.profile].get("simulate", {}),
        script:
            "../scripts/simulate_atac.py"


if ATAC_ENCODE:

    rule resolve_atac_encode:
        """The replicate bigWigs of an ENCODE experiment, chosen from its public metadata
        (output type, assembly, one per biological replicate) as a download manifest.
        """
        output:
            fill(ATAC_RAW, name="manifest.tsv"),
        log:
            log_file("resolve_atac_encode/{profile}"),
        wildcard_constraints:
            profile=alternatives(ATAC_ENCODE),
        retries: 2
        conda:
            "../../envs/degu.yaml"
        threads: res("download", "threads", 1)
        resources:
            runtime=res_per_attempt("download", "runtime", 10),
            mem_mb=res_per_attempt("download", "mem_mb", 1000),
        params:
            encode=lambda wc: ATAC_DS[wc.profile]["encode"],
        script:
            "../scripts/resolve_encode.py"

    rule download_atac_replicate:
        """One replicate bigWig, verified against the md5 ENCODE lists."""
        input:
            manifest=fill(ATAC_RAW, name="manifest.tsv"),
        output:
            fill(ATAC_RAW, name="rep{replicate}.bw"),
        log:
            log_file("download_atac_replicate/{profile}/rep{replicate}"),
        wildcard_constraints:
            profile=alternatives(ATAC_ENCODE),
            replicate=r"[0-9]+",
        retries: 2
        conda:
            "../../envs/degu.yaml"
        threads: res("download", "threads", 1)
        resources:
            runtime=res_per_attempt("download", "runtime", 120),
            mem_mb=res_per_attempt("download", "mem_mb", 1000),
        script:
            "../scripts/download.py"

    rule download_atac_genome:
        """The genome (gzip FASTA), verified against its manifest."""
        input:
            manifest=lambda wc: project_path(ATAC_DS[wc.profile]["genome_manifest"]),
        output:
            temp(fill(ATAC_RAW, name="genome/{file}")),
        log:
            log_file("download_atac_genome/{profile}/{file}"),
        wildcard_constraints:
            profile=alternatives(ATAC_ENCODE),
            file=r"[^/]+\.gz",
        retries: 2
        conda:
            "../../envs/degu.yaml"
        threads: res("download", "threads", 1)
        resources:
            runtime=res_per_attempt("download", "runtime", 120),
            mem_mb=res_per_attempt("download", "mem_mb", 2000),
        script:
            "../scripts/download.py"

    rule decompress_atac_genome:
        """gzip -> plain FASTA, which pyfaidx indexes."""
        input:
            lambda wc: at(
                ATAC_RAW,
                profile=wc.profile,
                name=f"genome/{atac_genome_gz(wc.profile)}",
            ),
        output:
            fill(ATAC_RAW, name="{file}.fa"),
        log:
            log_file("decompress_atac_genome/{profile}/{file}"),
        wildcard_constraints:
            profile=alternatives(ATAC_ENCODE),
            file=r"[^/]+",
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 60),
            mem_mb=res_per_attempt("light", "mem_mb", 2000),
        script:
            "../scripts/decompress.py"


if ATAC_DS and ATAC["engine"] == "wiggletools":

    rule atac_chrom_sizes:
        """The replicates' chromosome sizes (the union of their headers), which
        bedGraphToBigWig needs."""
        input:
            replicates=lambda wc: atac_replicates(wc.profile),
        output:
            fill(ATAC_TRACK_SIZES),
        log:
            log_file("atac_chrom_sizes/{profile}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 1000),
        script:
            "../scripts/atac_chrom_sizes.py"

    rule atac_tracks:
        """Mean and population std across the replicate bigWigs with WiggleTools, then
        bedGraphToBigWig (the paper's route; bioconda environment envs/wiggletools.yaml).
        """
        input:
            replicates=lambda wc: atac_replicates(wc.profile),
            chrom_sizes=ATAC_TRACK_SIZES,
        output:
            mean=fill(ATAC_TRACK, kind="mean"),
            std=fill(ATAC_TRACK, kind="std"),
        log:
            log_file("atac_tracks/{profile}"),
        conda:
            "../../envs/wiggletools.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 240),
            mem_mb=res_per_attempt("light", "mem_mb", 8000),
        params:
            commands=lambda wc, input, output: wiggletools_shell(
                input.replicates, output.mean, input.chrom_sizes
            ),
        shell:
            "({params.commands}) > {log} 2>&1"

elif ATAC_DS:

    rule atac_tracks:
        """Mean and population std across the replicate bigWigs with WiggleTools' semantics in
        pyBigWig + NumPy (degu.assays.tracks; config atac.engine: python)."""
        input:
            replicates=lambda wc: atac_replicates(wc.profile),
        output:
            mean=fill(ATAC_TRACK, kind="mean"),
            std=fill(ATAC_TRACK, kind="std"),
        log:
            log_file("atac_tracks/{profile}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 240),
            mem_mb=res_per_attempt("light", "mem_mb", 4000),
        script:
            "../scripts/atac_tracks.py"


if ATAC_DS:

    rule atac_dataset:
        """3072-bp bins with their coverage: the replicate tracks (teacher) or the ensemble's
        tracks (student), in the project's profile HDF5 layout."""
        input:
            unpack(atac_dataset_inputs),
        output:
            ATAC_DATASET_H5,
        log:
            log_file("atac_dataset/{profile}/{which}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 240),
            mem_mb=res_per_attempt("light", "mem_mb", 8000),
        params:
            tracks=atac_dataset_params,
            tasks=lambda wc: ATAC_DS[wc.profile]["tasks"],
            bins=atac_bins,
        script:
            "../scripts/atac_dataset.py"

    rule train_atac_model:
        """One CNN-task-base: a teacher on the replicate tracks or a DEGU student on the
        ensemble's tracks (Poisson loss, random crops and reverse complements)."""
        input:
            dataset=lambda wc: at(ATAC_DATASET_H5, profile=wc.profile, which=wc.role),
        output:
            model=fill(ATAC_MODEL, name="model.keras"),
            history=fill(ATAC_MODEL, name="history.csv"),
            predictions=fill(ATAC_MODEL, name="predictions.h5"),
            meta=fill(ATAC_MODEL, name="degu.json"),
        log:
            log_file("train_atac_model/{profile}/{role}/seed{seed}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("atac", "threads", 1)
        resources:
            gpu=res("atac", "gpu", 1),
            runtime=res_per_attempt("atac", "runtime", 720),
            mem_mb=res_per_attempt("atac", "mem_mb", 32000),
        params:
            crop=lambda wc: atac_entry(wc.profile)["crop"],
            model_params=lambda wc: atac_entry(wc.profile)["model_params"],
            training=lambda wc: atac_entry(wc.profile)["training"],
            lam=config["distillation"]["lambda"],
            gamma=config["distillation"]["gamma"],
            deterministic=config["deterministic"],
        script:
            "../scripts/train_atac.py"

    rule atac_ensemble_tracks:
        """The teachers' predictions of every bin as bigWigs: mean, epistemic (std over
        teachers) and aleatoric (mean of their aleatoric heads), one per task."""
        input:
            models=lambda wc: list(atac_model_paths(wc.profile, "teacher").values()),
            dataset=lambda wc: at(ATAC_DATASET_H5, profile=wc.profile, which="teacher"),
            genome=lambda wc: atac_genome(wc.profile),
        output:
            **{
                k: fill(ATAC_ENSEMBLE_BW, kind=k)
                for k in ("mean", "aleatoric", "epistemic")
            },
        log:
            log_file("atac_ensemble_tracks/{profile}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("atac", "threads", 1)
        resources:
            gpu=res("atac", "gpu", 1),
            runtime=res_per_attempt("atac", "runtime", 240),
            mem_mb=res_per_attempt("atac", "mem_mb", 16000),
        params:
            crop=lambda wc: atac_entry(wc.profile)["crop"],
            deterministic=config["deterministic"],
        script:
            "../scripts/atac_ensemble_tracks.py"

    rule atac_metrics:
        """metrics/atac.csv: whole-test-chromosome Pearson r of every model and the ensemble."""
        input:
            atac_metrics_inputs(),
        output:
            ATAC_CSV,
        log:
            log_file("atac_metrics"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 60),
            mem_mb=res_per_attempt("light", "mem_mb", 8000),
        params:
            datasets={
                ds: {
                    "dataset_h5": at(ATAC_DATASET_H5, profile=ds, which="teacher"),
                    "student_dataset_h5": at(
                        ATAC_DATASET_H5, profile=ds, which="student"
                    ),
                    "teachers": atac_model_paths(ds, "teacher", "predictions.h5"),
                    "students": atac_model_paths(ds, "student", "predictions.h5"),
                    "crop": atac_entry(ds)["crop"],
                }
                for ds in ATAC_DS
            },
        script:
            "../scripts/atac_metrics.py"

    rule atac_attribution:
        """Attribution consistency (Supp. Fig. 1b): saliency of every teacher and student on
        the test bins with the most coverage, RMSE to the standard models' average map and
        the spread across seeds."""
        input:
            teachers=lambda wc: list(atac_model_paths(wc.profile, "teacher").values()),
            students=lambda wc: list(atac_model_paths(wc.profile, "student").values()),
            dataset=lambda wc: at(ATAC_DATASET_H5, profile=wc.profile, which="teacher"),
        output:
            ATAC_ATTRIBUTION,
        log:
            log_file("atac_attribution/{profile}"),
        conda:
            "../../envs/degu.yaml"
        threads: res("atac", "threads", 1)
        resources:
            gpu=res("atac", "gpu", 1),
            runtime=res_per_attempt("atac", "runtime", 120),
            mem_mb=res_per_attempt("atac", "mem_mb", 16000),
        params:
            teachers=lambda wc: atac_model_paths(wc.profile, "teacher"),
            students=lambda wc: atac_model_paths(wc.profile, "student"),
            crop=lambda wc: atac_entry(wc.profile)["crop"],
            n_sequences=ATAC["attribution"]["n_sequences"],
            deterministic=config["deterministic"],
        script:
            "../scripts/atac_attribution.py"

    rule atac_attribution_table:
        """metrics/atac_attribution.csv: every profile dataset's attribution rows."""
        input:
            [at(ATAC_ATTRIBUTION, profile=ds) for ds in ATAC_DS],
        output:
            ATAC_ATTRIBUTION_CSV,
        log:
            log_file("atac_attribution_table"),
        conda:
            "../../envs/degu.yaml"
        threads: res("light", "threads", 1)
        resources:
            runtime=res_per_attempt("light", "runtime", 10),
            mem_mb=res_per_attempt("light", "mem_mb", 1000),
        script:
            "../scripts/concat_csv.py"
