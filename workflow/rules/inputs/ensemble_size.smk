# Input functions and params of rules/ensemble_size.smk.


def ensemble_size_entries():
    """Per size k: its first-k teachers, labels and students. The main ensemble (k = M) and
    its students are reused, so no model is trained twice."""
    ds, m = ENS_DS, config["teachers"]["n"]
    entries = []
    for k in ENS["sizes"]:
        same = k == m
        entries.append(
            {
                "k": k,
                "teachers": model_paths(
                    ds, FULL, "teacher", teacher_seeds(k), "predictions.h5"
                ),
                "labels": labels_h5(ds, FULL, "ensemble" if same else f"ensemble_k{k}"),
                "students": model_paths(
                    ds,
                    FULL,
                    "student" if same else f"student_k{k}",
                    first_students("ensemble_size"),
                    "predictions.h5",
                ),
            }
        )
    return entries
