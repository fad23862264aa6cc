"""The Snakemake report: every figure is a report item with a caption (workflow/report/*.rst)
that renders for the shipped configs, and `snakemake --report` of a finished run contains every
figure `rule all` requests."""

import base64
import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, run_snakemake

from degu.config import check_config, load_yaml
from degu.plots import FAMILIES, FIGURES

REPORT_DIR = REPO / "workflow" / "report"
# the paper's results section of each figure (the report's categories) and its name there
SECTIONS = {
    "1. Predictive performance": {
        "fig2": "Fig. 2",
        "supp_fig1": "Supp. Fig. 1",
        "supp_fig2": "Supp. Fig. 2",
        "supp_fig3": "Supp. Fig. 3",
    },
    "2. Covariate shift": {"fig3": "Fig. 3b,c", "supp_fig4": "Supp. Fig. 4", "supp_fig5": "Supp. Fig. 5"},
    "3. Attribution": {
        "fig4": "Fig. 4",
        "supp_fig6": "Supp. Fig. 6",
        "supp_fig7": "Supp. Fig. 7",
        "supp_fig_attr_truth": "Supp. Fig. planted motifs",
    },
    "4. Uncertainty and calibration": {
        "fig5a": "Fig. 5a",
        "fig5b": "Fig. 5b",
        "fig5c": "Fig. 5c",
        "fig5d": "Fig. 5d",
        "supp_fig8": "Supp. Fig. 8",
        "supp_fig11": "Supp. Fig. 11",
        "supp_fig12": "Supp. Fig. 12",
    },
    "5. Variant effects": {
        "fig6": "Fig. 6",
        "supp_fig13": "Supp. Fig. 13",
        "supp_fig14": "Supp. Fig. 14",
        "supp_fig15": "Supp. Fig. 15",
    },
}
NAMES = {fig: name for figs in SECTIONS.values() for fig, name in figs.items()}
CATEGORY = {fig: cat for cat, figs in SECTIONS.items() for fig in figs}


def test_every_figure_has_a_caption_and_every_caption_a_figure():
    assert sorted(NAMES) == sorted(FIGURES)
    captions = {p.stem for p in REPORT_DIR.glob("*.rst")}
    assert captions == set(FIGURES) | {"workflow"}
    snakefile = (REPO / "workflow" / "Snakefile").read_text()
    assert re.search(r'^report: "report/workflow.rst"$', snakefile, re.M)
    functions = (REPO / "workflow" / "rules" / "figure_functions.smk").read_text()
    assert 'caption=f"../report/{figure}.rst"' in functions


def _validated(config_file: str) -> dict:
    """A shipped config as the workflow sees it (schema defaults filled in)."""
    cfg = load_yaml(REPO / "config" / config_file)
    return check_config(cfg, REPO / "workflow" / "schemas" / "config.schema.yaml")


@pytest.mark.parametrize("config_file", ["test.yaml", "config.yaml"])
def test_captions_render_strictly_for_the_shipped_configs(config_file):
    """Every caption renders with Jinja's StrictUndefined (a misspelt config key is an error,
    not an empty string) and is valid reStructuredText (docutils warnings are errors)."""
    import jinja2
    from docutils.core import publish_parts

    cfg = _validated(config_file)
    unc = cfg["uncertainty"]
    calibrated = [n for n, d in cfg["datasets"].items() if d["calibrate"]]
    main = unc.get("main_dataset") or calibrated[0]
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    for name in [*FIGURES, "workflow"]:
        options = {"main_dataset": main, "alpha": unc["alpha"]} if name in FAMILIES["calibration"] else {}
        snakemake = SimpleNamespace(config=cfg, params=SimpleNamespace(options=options))
        text = env.from_string((REPORT_DIR / f"{name}.rst").read_text()).render(snakemake=snakemake)
        assert "{{" not in text and "{%" not in text, name
        body = publish_parts(text, writer="html", settings_overrides={"halt_level": 2, "report_level": 2})
        assert len(body["body"]) > 300, name
        if name != "workflow":
            assert NAMES[name] in text, name  # the caption names the figure as the paper does
    # values from the config reach the captions
    fig2 = env.from_string((REPORT_DIR / "fig2.rst").read_text()).render(
        snakemake=SimpleNamespace(config=cfg, params=SimpleNamespace(options={}))
    )
    assert f"standard training, {cfg['teachers']['n']} models" in fig2
    for name, d in cfg["datasets"].items():
        assert f"``{name}`` (tasks {', '.join(d['tasks'])}): {', '.join(map(str, d['fractions']))}" in fig2
    attr = cfg["attribution"]
    fig4 = env.from_string((REPORT_DIR / "fig4.rst").read_text()).render(
        snakemake=SimpleNamespace(config=cfg, params=SimpleNamespace(options={}))
    )
    fig4 = " ".join(fig4.split())
    assert f"explained on the {attr['n_sequences']} test sequences with the largest observed activity" in fig4
    assert f"first activity task of each dataset ({', '.join(attr['datasets'])})" in fig4


def report_data(report_html: Path) -> dict:
    """The results, categories and front page embedded in a Snakemake HTML report."""
    text = report_html.read_text()
    out = {}
    for key, script, var in (
        ("results", "results", "results"),
        ("categories", "categories", "categories"),
        ("workflow", "workflow-desc", "workflow_desc"),
    ):
        m = re.search(rf'<script id="{script}">\s*var {var} = (.*?);\s*</script>', text, re.S)
        assert m, f"no {var} in {report_html}"
        out[key] = json.loads(m.group(1))
    return out


def plain(caption_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", caption_html))


def rule_all_pngs(workdir: Path, config: Path) -> list[str]:
    """The figure PNGs `rule all` requests (from a forced dry run)."""
    res = run_snakemake(["-n", "--forceall", "--configfile", str(config), "--directory", str(workdir)])
    assert res.returncode == 0, res.stderr
    block = res.stdout.split("rule all:", 1)[1].split("\n")[1]
    assert block.strip().startswith("input:")
    return sorted(p for p in block.split(":", 1)[1].replace(",", " ").split() if p.endswith(".png"))


def check_report(report: dict, pngs: list[str], run: str) -> None:
    figures = [Path(p).stem for p in pngs]
    assert sorted(report["results"]) == pngs
    assert sorted(figures) == sorted(FIGURES)  # the shipped configs make every figure
    for path, item in report["results"].items():
        fig = Path(path).stem
        assert item["mime_type"] == "image/png"
        assert item["labels"] == {"figure": NAMES[fig], "file": f"{fig}.png"}
        assert item["job_properties"]["rule"] == next(
            f"{fam}_figures" for fam, fs in FAMILIES.items() if fig in fs
        )
        caption = plain(item["caption"])
        assert caption.startswith(f"{NAMES[fig]}:") and "{{" not in caption
    for cat, subcats in report["categories"].items():
        for sub, paths in subcats.items():
            for path in paths:
                fig = Path(path).stem
                assert CATEGORY[fig] == cat
                assert sub == ("Supplementary figures" if fig.startswith("supp") else "Main figures")
    assert (
        sorted(p for subcats in report["categories"].values() for ps in subcats.values() for p in ps) == pngs
    )
    assert f"reproduced as a Snakemake pipeline, run {run}." in plain(report["workflow"])


def test_report_of_placeholder_figures(tmp_path):
    """`--report` needs only the figure PNGs: with placeholders for them (nothing else run) it
    shows every figure of the tiny config, with its caption, category and labels."""
    config = REPO / "config" / "test.yaml"
    pngs = rule_all_pngs(tmp_path, config)
    for p in pngs:
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_bytes(b"\x89PNG\r\n\x1a\n placeholder for " + p.encode())
    out = tmp_path / "report.html"
    res = run_snakemake(["--report", str(out), "--configfile", str(config), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr[-3000:]
    report = report_data(out)
    check_report(report, pngs, "test")
    for path, item in report["results"].items():
        assert base64.b64decode(item["data_uri"].split("base64,", 1)[1]).endswith(path.encode())


@pytest.mark.workflow
def test_report_of_the_tiny_run(tiny_run, tmp_path):
    """`snakemake --report` on the finished tiny run: every figure of `rule all`, each with the
    exact PNG the run drew."""
    work = tiny_run.parents[1]
    config = REPO / "config" / "test.yaml"
    pngs = rule_all_pngs(work, config)
    out = tmp_path / "report.html"
    res = run_snakemake(["--report", str(out), "--configfile", str(config), "--directory", str(work)])
    assert res.returncode == 0, res.stderr[-3000:]
    report = report_data(out)
    check_report(report, pngs, "test")
    for path, item in report["results"].items():
        data = base64.b64decode(item["data_uri"].split("base64,", 1)[1])
        assert data == (work / path).read_bytes(), path
