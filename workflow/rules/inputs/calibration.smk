# Input functions and params of rules/calibration.smk.


def calibration_models(ds):
    """(method, seed, file) of everything the calibration analysis of one dataset compares."""
    fr = UNC_FRACTION
    base = DATASETS[ds]["baselines"]
    models = [{"method": "ensemble", "seed": None, "path": labels_h5(ds, fr)}]
    for s in seeds("teachers"):
        models.append(
            {"method": "standard", "seed": s, "path": predictions(ds, fr, "teacher", s)}
        )
    for s in seeds("students"):
        models.append(
            {
                "method": "distilled",
                "seed": s,
                "path": predictions(ds, fr, "student", s),
            }
        )
    if "mc_dropout" in base:
        for s in seeds("teachers"):
            models.append(
                {"method": "mc_dropout", "seed": s, "path": mc_dropout_h5(ds, fr, s)}
            )
    for method in ("heteroscedastic", "evidential"):
        if method in base:
            for s in seeds("teachers"):
                models.append(
                    {
                        "method": method,
                        "seed": s,
                        "path": predictions(ds, fr, method, s),
                    }
                )
    if "heteroscedastic_distill" in base:
        models.append(
            {
                "method": "heteroscedastic_ensemble",
                "seed": None,
                "path": labels_h5(ds, fr, "heteroscedastic_ensemble"),
            }
        )
        for s in seeds("students"):
            models.append(
                {
                    "method": "heteroscedastic_distill",
                    "seed": s,
                    "path": predictions(ds, fr, "het_student", s),
                }
            )
    return models
