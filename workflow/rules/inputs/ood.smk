# Input functions and params of rules/ood.smk (robustness_test_models is also counted by
# rules/health.smk).


def robustness_procedures():
    """{procedure: (model directory role, seeds)} of the Fig. 3 / Supp. Fig. 5 comparison."""
    students = first_students("robustness")
    procs = {"standard": ("teacher", seeds("teachers"))}
    if ROB["distill_from"] == "oracle":
        procs["oracle_distilled"] = ("oracle_student", students)
    else:
        procs["distilled"] = ("student", students)
    for scheme in ROB["schemes"]:
        procs[f"dynamic_{scheme}"] = (f"dynamic_{scheme}", students)
    return procs


def robustness_test_models():
    """Models compared on the test set (Supp. Figs. 2 and 5)."""
    ds, fr = ROB_DS, ROB_FR
    out = {
        p: model_paths(ds, fr, role, s, "predictions.h5")
        for p, (role, s) in robustness_procedures().items()
    }
    # Supp. Fig. 2 without EvoAug: the main grid's students of the standard ensemble (as many
    # as the EvoAug students; with distill_from: standard these are Fig. 3's DEGU models)
    out.setdefault(
        "distilled",
        model_paths(ds, fr, "student", first_students("robustness"), "predictions.h5"),
    )
    out["evoaug_standard"] = model_paths(
        ds, fr, "evoaug_teacher", oracle_seeds(), "predictions.h5"
    )
    out["evoaug_distilled"] = model_paths(
        ds, fr, "evoaug_student", first_students("robustness"), "predictions.h5"
    )
    return out


def robustness_ensembles():
    return {
        "ensemble": labels_h5(ROB_DS, ROB_FR),
        "evoaug_ensemble": labels_h5(ROB_DS, ROB_FR, "evoaug_ensemble"),
    }


def ood_predictions():
    """{procedure: its OOD predictions file} of every Fig. 3 procedure."""
    return {
        p: at(OOD_PREDICTIONS_H5, dataset=ROB_DS, procedure=p)
        for p in robustness_procedures()
    }
