# Raw files -> one HDF5 dataset; nested downsampled training subsets.


include: "inputs/prepare.smk"


rule prepare:
    """Parse, validate and one-hot encode (A,C,G,T) the raw files into Train/Val/Test
    (STARR-seq: the published split; lentiMPRA/table: random 80/10/10, pairs kept together).
    """
    input:
        lambda wc: raw_files(wc.dataset),
    output:
        DATASET_H5,
    log:
        log_file("prepare/{dataset}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 60),
        mem_mb=res_per_attempt("light", "mem_mb", 16000),
    params:
        assay=lambda wc: DATASETS[wc.dataset]["assay"],
        raw_dir=lambda wc: raw_dir(wc.dataset),
        dataset=lambda wc: prepare_params(wc.dataset),
    script:
        "../scripts/prepare.py"


rule subsets:
    """Nested random training subsets, one index array per configured fraction."""
    input:
        DATASET_H5,
    output:
        SUBSETS_H5,
    log:
        log_file("subsets/{dataset}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 10),
        mem_mb=res_per_attempt("light", "mem_mb", 4000),
    params:
        fractions=lambda wc: DATASETS[wc.dataset]["fractions"],
        seed=lambda wc: DATASETS[wc.dataset]["subset_seed"],
    script:
        "../scripts/subsets.py"
