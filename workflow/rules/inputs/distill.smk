# Input functions of rules/distill.smk.


def student_labels(wc):
    """Labels file a static DEGU student of the {student} wildcard is distilled from."""
    if wc.student == "student":
        ensemble = "ensemble"
    elif wc.student == "oracle_student":
        ensemble = "evoaug_ensemble"
    else:
        ensemble = f"ensemble_k{wc.student[len('student_k') :]}"
    return labels_h5(wc.dataset, wc.fraction, ensemble)


def dynamic_ensemble(dataset):
    """The ensemble that labels a dataset's dynamic students' minibatches: on the covariate-
    shift dataset robustness.distill_from (the EvoAug oracle in the paper), elsewhere (the
    lentiMPRA students of the variant-effect analysis) the standard teachers."""
    if dataset == ROB_DS and ROB["distill_from"] == "oracle":
        return "evoaug_ensemble"
    return "ensemble"
