# Raw data: downloaded (verified against a checksummed manifest) or simulated.


rule download:
    """One verified, resumable download per file listed in the dataset's manifest."""
    input:
        manifest=lambda wc: project_path(DATASETS[wc.dataset]["manifest"]),
    output:
        "results/{run}/data/{dataset}/raw/{filename}",
    log:
        "results/{run}/logs/download/{dataset}/{filename}.log",
    wildcard_constraints:
        dataset=alternatives(datasets_with_source("download")),
        filename=alternatives(manifest_files()),
    retries: 2
    conda:
        "../../envs/degu.yaml"
    threads: res("download", "threads", 1)
    resources:
        runtime=res("download", "runtime", 120),
        mem_mb=res("download", "mem_mb", 2000),
    script:
        "../scripts/download.py"


rule simulate_starrseq:
    """DeepSTARR-format files with planted fly motifs and known noise (network-free)."""
    output:
        fasta=expand(
            "results/{{run}}/data/{{dataset}}/raw/Sequences_{split}.fa",
            split=["Train", "Val", "Test"],
        ),
        activity=expand(
            "results/{{run}}/data/{{dataset}}/raw/Sequences_activity_{split}.txt",
            split=["Train", "Val", "Test"],
        ),
        truth="results/{run}/data/{dataset}/raw/ground_truth.tsv",
    log:
        "results/{run}/logs/simulate/{dataset}.log",
    wildcard_constraints:
        dataset=alternatives(datasets_with_source("simulate")),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res("light", "runtime", 60),
        mem_mb=res("light", "mem_mb", 4000),
    params:
        simulate=lambda wc: DATASETS[wc.dataset]["simulate"],
        seq_len=lambda wc: DATASETS[wc.dataset]["seq_len"],
    script:
        "../scripts/simulate_starrseq.py"
