# Non-neural reference: ridge regression on k-mer counts (method kmer_ridge), one job per
# dataset and fraction (kmer_ridge.fractions: the largest, or all).
rule kmer_ridge:
    """Ridge on k-mer counts on the fraction's training subset; k and alpha chosen on Val."""
    input:
        dataset=DATASET_H5,
        subsets=SUBSETS_H5,
    output:
        KMER_H5,
    log:
        log_file("kmer_ridge/{dataset}/frac{fraction}"),
    conda:
        "../../envs/degu.yaml"
    threads: res("light", "threads", 1)
    resources:
        runtime=res_per_attempt("light", "runtime", 60),
        mem_mb=res_per_attempt("light", "mem_mb", 16000),
    params:
        k=KMER["k"],
        alphas=KMER["alphas"],
        both_strands=KMER["both_strands"],
    script:
        "../scripts/kmer_ridge.py"
