"""Analyses on predictions: arrays in, tables out.

===============  =====================================================================
module           what it holds
===============  =====================================================================
``robustness``   rows of the robustness and ensemble-size tables (shifted test sets)
``kmer``         the non-neural reference: ridge regression on k-mer counts
``attribution``  saliency and DeepSHAP maps, gradient correction, map metrics and t-tests
===============  =====================================================================

Imports the library packages below it (io, assays, models, uq), never ``degu.jobs``.
"""
