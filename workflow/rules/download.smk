# Raw data: downloaded (verified against a checksummed manifest) or simulated.


include: "inputs/download.smk"


rule download:
    """One verified, resumable download per file listed in the dataset's manifest."""
    input:
        manifest=lambda wc: project_path(DATASETS[wc.dataset]["manifest"]),
    output:
        raw_file("{filename}"),
    log:
        log_file("download/{dataset}/{filename}"),
    wildcard_constraints:
        dataset=alternatives(datasets_with_source("download")),
        filename=alternatives(manifest_files()),
    retries: 2
    conda:
        "../../envs/degu.yaml"
    threads: res("download", "threads", 1)
    resources:
        runtime=res_per_attempt("download", "runtime", 120),
        mem_mb=res_per_attempt("download", "mem_mb", 2000),
    script:
        "../scripts/download.py"


rule extract:
    """One file out of a downloaded archive (e.g. the DEGU authors' HDF5 files)."""
    input:
        lambda wc: at(
            RAW_FILE, dataset=wc.dataset, name=archive_members()[wc.member][1]
        ),
    output:
        raw_file("{member}"),
    log:
        log_file("extract/{dataset}/{member}"),
    wildcard_constraints:
        dataset=alternatives(sorted({v[0] for v in archive_members().values()})),
        member=alternatives(list(archive_members())),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 60),
        mem_mb=res_per_attempt("light", "mem_mb", 2000),
    params:
        member=lambda wc: archive_members()[wc.member][2],
    script:
        "../scripts/extract.py"


rule simulate_starrseq:
    """DeepSTARR-format files with planted fly motifs and known noise (network-free)."""
    output:
        fasta=expand(
            raw_file("Sequences_{split}.fa"),
            split=["Train", "Val", "Test"],
            allow_missing=True,
        ),
        activity=expand(
            raw_file("Sequences_activity_{split}.txt"),
            split=["Train", "Val", "Test"],
            allow_missing=True,
        ),
        truth=raw_file("ground_truth.tsv"),
    log:
        log_file("simulate/{dataset}"),
    wildcard_constraints:
        dataset=alternatives(datasets_with_source("simulate", "starrseq")),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 60),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        simulate=lambda wc: DATASETS[wc.dataset]["simulate"],
        seq_len=lambda wc: DATASETS[wc.dataset]["seq_len"],
    script:
        "../scripts/simulate_starrseq.py"


rule simulate_lentimpra:
    """Agarwal Table 3/4-format workbooks: forward/reverse pairs, 3 replicates, known noise."""
    output:
        sequences=raw_file("sequences.xlsx"),
        replicates=raw_file("replicates.xlsx"),
        truth=raw_file("ground_truth.tsv"),
    log:
        log_file("simulate/{dataset}"),
    wildcard_constraints:
        dataset=alternatives(datasets_with_source("simulate", "lentimpra")),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 60),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        simulate=lambda wc: DATASETS[wc.dataset]["simulate"],
    script:
        "../scripts/simulate_lentimpra.py"
