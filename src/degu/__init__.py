"""DEGU: Distilling Ensembles for Genomic Uncertainty-aware models.

The importable library behind the Snakemake workflow. Every module works without
Snakemake; the workflow's scripts are thin wrappers around these functions.
"""

__version__ = "0.1.0"
