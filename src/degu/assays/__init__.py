"""Assays: from raw files (downloaded or simulated) to the pipeline's dataset files.

=============  ============================================================================
module         what it holds
=============  ============================================================================
``download``   verified, resumable downloads driven by a manifest
``simulate``   simulated STARR-seq, lentiMPRA, CAGI5 and ATAC-seq data with known ground truth
``datasets``   ``prepare``: raw files -> ``dataset.h5`` (one preparer per assay, ``PREPARERS``)
``splits``     grouped splits and nested (downsampled) training subsets
``pairs``      forward/reverse-complement pairs of lentiMPRA elements (grouped splits)
``tracks``     replicate bigWigs -> mean and std tracks (WiggleTools semantics; two engines)
``profiles``   genome bins + coverage tracks -> profile dataset; crops, reverse complement
=============  ============================================================================

Imports only :mod:`degu.io` (and ``degu.errors``/``degu.config``), never the packages above it.
"""
