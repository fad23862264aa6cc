# Input functions of rules/labels.smk (member_models is also used by rules/distill.smk and
# rules/ood.smk: the teachers of a labels file).


def member_models(ds, fr, ensemble):
    """The teacher models behind one labels file (ensemble, evoaug_ensemble, ensemble_k<k>)."""
    if ensemble == "evoaug_ensemble":
        role, members = "evoaug_teacher", oracle_seeds()
    elif ensemble == "ensemble":
        role, members = "teacher", seeds("teachers")
    else:  # ensemble_k<k>: the first k standard teachers
        role, members = "teacher", teacher_seeds(int(ensemble[len("ensemble_k") :]))
    return paths_of(model_paths(ds, fr, role, members))
