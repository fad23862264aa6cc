# Functions of the figure rules (figures.smk): which figures a config makes, the tables each
# plots, and their outputs with the report entry of each figure.
from degu.plots import FAMILIES


def main_calibration_dataset():
    cal = calibrated_datasets()
    return UNC.get("main_dataset") or (cal[0] if cal else None)


def figure_list():
    """The figures this config makes, in the order `rule all` requests them."""
    figs = ["fig2", "fig5a"]
    if any(d["aleatoric"] for d in DATASETS.values()):
        figs.append("fig5b")
    if calibrated_datasets():
        figs += ["fig5c", "fig5d", "supp_fig12"]
        if len(calibrated_datasets()) > 1:
            figs.append("supp_fig8")
    if baseline_datasets(
        "heteroscedastic_distill"
    ):  # check_datasets: baselines => calibrate
        figs.append("supp_fig11")
    if ROB_DS:
        figs += ["fig3", "supp_fig2", "supp_fig4", "supp_fig5"]
    if ENS_DS:
        figs.append("supp_fig3")
    if ATTR_DS:
        figs += ["fig4", "supp_fig6", "supp_fig7"]
        if any(ground_truth(ds) for ds in ATTR_DS):
            figs.append("supp_fig_attr_truth")
    if VE_LOCI:
        figs += ["fig6", "supp_fig13", "supp_fig14", "supp_fig15"]
    if ATAC_DS:
        figs.append("supp_fig1")
    return figs


FIGURES = figure_list()


def family_figures(family):
    """The figures of one family (a module of degu.plots) that this config makes."""
    return [fig for fig in FIGURES if fig in FAMILIES[family]]


def figure_inputs(figure):
    """The tables a figure plots (concatenated in this order)."""
    if figure in ("fig2", "fig5a", "fig5b"):
        return [f"{OUT}/metrics/performance.csv"]
    if figure in ("fig3", "supp_fig2", "supp_fig5"):
        return [f"{OUT}/metrics/robustness.csv"]
    if figure == "supp_fig4":
        return [f"{OUT}/ood/{ROB_DS}/oracle_activity.csv"]
    if figure == "supp_fig3":
        return [f"{OUT}/metrics/ensemble_size.csv"]
    if figure == "fig4":  # in the order of degu.plots.attribution.fig4.tables
        return [
            at(ATTRIBUTION_CSV),
            at(ATTRIBUTION_EXAMPLE_CSV),
            at(ATTRIBUTION_MOTIFS_CSV),
        ]
    if figure in FAMILIES["attribution"]:
        return [at(ATTRIBUTION_CSV)]
    if (
        figure in FAMILIES["variant_effects"]
    ):  # degu.plots.variant_effects: summary, predictions
        return [at(VARIANT_EFFECTS_CSV), at(VARIANT_PREDICTIONS_CSV)]
    if figure in FAMILIES["atac"]:  # degu.plots.atac.supp_fig1.tables
        return [at(ATAC_CSV), at(ATAC_ATTRIBUTION_CSV)]
    return [f"{OUT}/metrics/calibration/{ds}.csv" for ds in calibrated_datasets()]


# Where each figure goes in the report: the paper's results section (category) and the
# figure's name in the paper; main-text figures and supplementary ones are subcategories.
PERFORMANCE = "1. Predictive performance"
COVARIATE_SHIFT = "2. Covariate shift"
ATTRIBUTION = "3. Attribution"
UNCERTAINTY = "4. Uncertainty and calibration"
VARIANT_EFFECTS = "5. Variant effects"
FIGURE_REPORT = {
    "fig2": (PERFORMANCE, "Fig. 2"),
    "supp_fig2": (PERFORMANCE, "Supp. Fig. 2"),
    "supp_fig3": (PERFORMANCE, "Supp. Fig. 3"),
    "fig3": (COVARIATE_SHIFT, "Fig. 3b,c"),
    "supp_fig4": (COVARIATE_SHIFT, "Supp. Fig. 4"),
    "supp_fig5": (COVARIATE_SHIFT, "Supp. Fig. 5"),
    "fig5a": (UNCERTAINTY, "Fig. 5a"),
    "fig5b": (UNCERTAINTY, "Fig. 5b"),
    "fig5c": (UNCERTAINTY, "Fig. 5c"),
    "fig5d": (UNCERTAINTY, "Fig. 5d"),
    "supp_fig8": (UNCERTAINTY, "Supp. Fig. 8"),
    "supp_fig11": (UNCERTAINTY, "Supp. Fig. 11"),
    "supp_fig12": (UNCERTAINTY, "Supp. Fig. 12"),
    "fig4": (ATTRIBUTION, "Fig. 4"),
    "supp_fig6": (ATTRIBUTION, "Supp. Fig. 6"),
    "supp_fig7": (ATTRIBUTION, "Supp. Fig. 7"),
    "supp_fig_attr_truth": (ATTRIBUTION, "Supp. Fig. planted motifs"),
    "fig6": (VARIANT_EFFECTS, "Fig. 6"),
    "supp_fig13": (VARIANT_EFFECTS, "Supp. Fig. 13"),
    "supp_fig14": (VARIANT_EFFECTS, "Supp. Fig. 14"),
    "supp_fig15": (VARIANT_EFFECTS, "Supp. Fig. 15"),
    "supp_fig1": (PERFORMANCE, "Supp. Fig. 1"),
}


def figure_report(figure, png):
    """``png`` marked for the report with the figure's caption, section and name."""
    category, name = FIGURE_REPORT[figure]
    return report(
        png,
        caption=f"../report/{figure}.rst",
        category=category,
        subcategory=(
            "Supplementary figures" if name.startswith("Supp") else "Main figures"
        ),
        labels={"figure": name, "file": f"{figure}.png"},
    )


def family_inputs(family):
    """{figure: the tables it plots} of a family (named inputs, one name per figure)."""
    return {fig: figure_inputs(fig) for fig in family_figures(family)}


def family_outputs(family):
    """{figure: [pdf, png (a report item), csv]} of a family (named outputs per figure)."""
    out = {}
    for fig in family_figures(family):
        stem = f"results/{{run}}/figures/{fig}"
        out[fig] = [f"{stem}.pdf", figure_report(fig, f"{stem}.png"), f"{stem}.csv"]
    return out
