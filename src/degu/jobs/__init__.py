"""Pipeline steps: what each Snakemake rule runs, one module per rule file.

Every ``*_job`` function takes plain paths and values and writes its output files (atomically
where it writes a table), so the same steps run from the CLI, from a notebook or from
Snakemake, whose scripts in ``workflow/scripts`` only unpack ``snakemake.input/output/params``
and call these. Jobs know file formats and set up TensorFlow; the analysis they run lives in
the library modules (``degu.uq.metrics``, ``degu.uq.calibration``, ``degu.analysis.robustness``, ...), which
never import ``degu.jobs``.

=======================  ===============================  ======================================
module                   rule file(s)                     jobs
=======================  ===============================  ======================================
``jobs.train``           teachers, distill, baselines     ``train_model_job``
``jobs.labels``          labels, baselines                ``ensemble_labels_job``
``jobs.baselines``       baselines                        ``mc_dropout_job``
``jobs.reference``       reference                        ``kmer_ridge_job``
``jobs.evaluate``        evaluate                         ``evaluate_job``
``jobs.calibration``     calibration                      ``calibration_job``
``jobs.bundle``          bundle                           ``bundle_job``
``jobs.robustness``      ood                              ``shifted_test_sets_job``,
                                                          ``oracle_activity_table``,
                                                          ``ood_predict_job``,
                                                          ``robustness_metrics_job``
``jobs.ensemble_size``   ensemble_size                    ``ensemble_size_metrics_job``
``jobs.health``          health                           ``training_health_job``
=======================  ===============================  ======================================

Import from the module (``from degu.jobs.train import train_model_job``); this package
re-exports nothing, so importing one job does not import the others.
"""
