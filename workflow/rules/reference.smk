# Non-neural reference: ridge regression on k-mer counts (method kmer_ridge), one job per
# dataset and fraction (kmer_ridge.fractions: the largest, or all).
rule kmer_ridge:
    """Ridge on k-mer counts on the fraction's training subset; k and alpha chosen on Val."""
    input:
        dataset="results/{run}/data/{dataset}/dataset.h5",
        subsets="results/{run}/data/{dataset}/subsets.h5",
    output:
        "results/{run}/reference/{dataset}/frac{fraction}/kmer_ridge.h5",
    log:
        "results/{run}/logs/kmer_ridge/{dataset}/frac{fraction}.log",
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
