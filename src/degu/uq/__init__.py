"""Uncertainty quantification: ensembles, distillation, uncertainty baselines, calibration, metrics.

=================  ===========================================================================
module             what it holds
=================  ===========================================================================
``ensemble``       predictions of ensemble members and their mean and std
``distill``        DEGU distillation: loss, target scaling, in-graph ensemble labeller
``uncertainty``    heteroscedastic and evidential losses, MC dropout
``calibration``    per-method uncertainty estimates, coverage, conformal scaling
``metrics``        performance metrics and correlation intervals
=================  ===========================================================================

Imports :mod:`degu.io` and :mod:`degu.models`, never the packages above it.
"""
