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


def dynamic_ensemble():
    """The ensemble that labels the dynamic students' minibatches (robustness.distill_from)."""
    return "evoaug_ensemble" if ROB["distill_from"] == "oracle" else "ensemble"
