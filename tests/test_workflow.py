"""Workflow-level tests: dry-run job counts, lint/format, config errors (fast; the real tiny run's
tests are in test_tiny_run.py)."""

import shutil
import subprocess

import pytest
import yaml
from conftest import REPO, job_stats, run_snakemake

# STARR-seq part: 6 downloads, 1 dataset, 5 fractions x 10 teachers/students, one k-mer ridge
# reference (largest fraction).
# lentiMPRA part: 1 download (the DEGU data.tar.gz) + 2 extracted HDF5 files; 4 datasets
# (K562/HepG2 x activity-only/activity+aleatoric) x 5 fractions x 10 teachers and students
# (200 + 200) and 20 label jobs; on the two aleatoric datasets at fraction 1.0: 10
# heteroscedastic + 10 evidential models each (40), 10 MC-dropout jobs each (20), one
# heteroscedastic-ensemble label job each (2), 10 heteroscedastic-distilled students each (20),
# one calibration job each (2) and one model-bundle job each (2); one k-mer ridge reference per
# dataset (4).
STARRSEQ_COUNTS = {
    "download": 6,
    "prepare": 1,
    "subsets": 1,
    "kmer_ridge": 1,
    "train_teacher": 50,
    "ensemble_labels": 5,
    "train_student": 50,
}
LENTIMPRA_COUNTS = {
    "download": 1,
    "extract": 2,
    "prepare": 4,
    "subsets": 4,
    "kmer_ridge": 4,
    "train_teacher": 200,
    "ensemble_labels": 20,
    "train_baseline": 40,
    "heteroscedastic_labels": 2,
    "mc_dropout": 20,
    "train_student": 200,
    "train_het_student": 20,
    "calibration": 2,
    "bundles": 2,
}
# Covariate shift and EvoAug on STARR-seq (fraction 1.0): 10 EvoAug teachers (the oracle) and
# their labels, 10 EvoAug students, 10 students distilled statically from the oracle, 3 x 10
# dynamic-augmentation students, the shifted test sets, OOD predictions of the 5 Fig. 3
# procedures, one metrics table; fig3, supp_fig2, supp_fig4, supp_fig5.
ROBUSTNESS_COUNTS = {
    "train_evoaug_teacher": 10,
    "ensemble_labels": 1,
    "train_evoaug_student": 10,
    "train_student": 10,
    "train_dynamic_student": 30,
    "shifted_test_sets": 1,
    "ood_predict": 5,
    "robustness_metrics": 1,
    "robustness_figures": 1,
}
# Teacher-ensemble size: teachers 11-25 (1-10 are the main grid's), labels and 10 students for
# each k in {2, 3, 4, 5, 15, 20, 25} (k = 10 is the main ensemble), one table; supp_fig3.
ENSEMBLE_SIZE_COUNTS = {
    "train_teacher": 15,
    "ensemble_labels": 7,
    "train_student": 70,
    "ensemble_size_metrics": 1,
    "ensemble_size_figures": 1,
}
# Attribution (Fig. 4, Supp. Figs. 6, 7): maps of the 10 teachers and 10 students at fraction
# 1.0 of deepstarr, lentimpra_k562 and lentimpra_hepg2 (60), one metrics table, one figure job
# (no planted-motif figure: no simulated data at paper scale).
ATTRIBUTION_COUNTS = {"attribution_maps": 60, "attribution_metrics": 1, "attribution_figures": 1}
# CAGI5 variant effects (Fig. 6, Supp. Figs. 13-15): 10 students per dynamic scheme (EvoAug,
# mutagenesis) on each aleatoric lentiMPRA set, hg19 downloaded and decompressed, one scoring job
# per locus (PKLR, LDLR, F9, SORT1), one metrics table, one figure job.
VARIANT_EFFECTS_COUNTS = {
    "train_dynamic_student": 40,
    "download_variant_genome": 1,
    "decompress_variant_genome": 1,
    "score_variants": 4,
    "variant_effects_metrics": 1,
    "variant_effects_figures": 1,
}
# ATAC-seq profiles (Supp. Fig. 1): the ENCODE metadata resolved into a manifest, 3 replicate
# bigWigs and hg38 downloaded (+ decompressed), chromosome sizes and WiggleTools tracks, the
# teachers' and the students' datasets, 10 teachers + 10 students, the ensemble's bigWigs, one
# metrics table, the attribution job and its table, one figure job.
ATAC_COUNTS = {
    "resolve_atac_encode": 1,
    "download_atac_replicate": 3,
    "download_atac_genome": 1,
    "decompress_atac_genome": 1,
    "atac_chrom_sizes": 1,
    "atac_tracks": 1,
    "atac_dataset": 2,
    "train_atac_model": 20,
    "atac_ensemble_tracks": 1,
    "atac_metrics": 1,
    "atac_attribution": 1,
    "atac_attribution_table": 1,
    "atac_figures": 1,
}
# performance and training-health tables; fig2, fig5a, fig5b (one job) and fig5c, fig5d, supp_fig8,
# supp_fig11, supp_fig12 (one job)
SHARED_COUNTS = {
    "evaluate": 1,
    "training_health": 1,
    "performance_figures": 1,
    "calibration_figures": 1,
    "all": 1,
}
PARTS = (
    STARRSEQ_COUNTS,
    LENTIMPRA_COUNTS,
    ROBUSTNESS_COUNTS,
    ENSEMBLE_SIZE_COUNTS,
    ATTRIBUTION_COUNTS,
    VARIANT_EFFECTS_COUNTS,
    ATAC_COUNTS,
    SHARED_COUNTS,
)
PAPER_COUNTS = {k: sum(part.get(k, 0) for part in PARTS) for part in PARTS for k in part}


def test_paper_config_dry_run_job_counts(tmp_path):
    res = run_snakemake(
        ["-n", "--configfile", str(REPO / "config" / "config.yaml"), "--directory", str(tmp_path)]
    )
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    assert counts.pop("total") == sum(PAPER_COUNTS.values()) == 948
    assert counts == PAPER_COUNTS
    assert sum(ROBUSTNESS_COUNTS.values()) + sum(ENSEMBLE_SIZE_COUNTS.values()) == 163


def test_paper_config_robustness_part_dry_run(tmp_path):
    """The EvoAug / covariate-shift / ensemble-size part alone: the paper config with only the
    STARR-seq dataset, minus the jobs of its main grid (fractions and teachers as in the paper)."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["datasets"] = {"deepstarr": cfg["datasets"]["deepstarr"]}
    cfg["uncertainty"].pop("main_dataset")
    del cfg["attribution"]
    del cfg["variant_effects"]
    del cfg["atac"]
    path = tmp_path / "starr.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(path), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    expected = {}
    for part in (
        STARRSEQ_COUNTS,
        ROBUSTNESS_COUNTS,
        ENSEMBLE_SIZE_COUNTS,
        {"evaluate": 1, "training_health": 1, "performance_figures": 1, "all": 1},
    ):
        for k, v in part.items():
            expected[k] = expected.get(k, 0) + v
    assert counts.pop("total") == sum(expected.values())
    assert counts == expected
    for f in ("fig3", "supp_fig2", "supp_fig3", "supp_fig4", "supp_fig5"):
        assert f"results/paper/figures/{f}.pdf" in res.stdout


def test_paper_config_lentimpra_part_dry_run(tmp_path):
    """The lentiMPRA part alone (STARR-seq dataset removed from the paper config), with the
    variant-effect analysis on it: its dynamic students are distilled from the standard
    ensemble even though the covariate-shift block (robustness.distill_from) is gone."""
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    del cfg["datasets"]["deepstarr"]
    del cfg["robustness"], cfg["ensemble_size"], cfg["attribution"], cfg["atac"]
    path = tmp_path / "lenti.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(path), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    parts = (LENTIMPRA_COUNTS, VARIANT_EFFECTS_COUNTS, SHARED_COUNTS)
    assert counts.pop("total") == sum(sum(p.values()) for p in parts)
    assert counts == {**LENTIMPRA_COUNTS, **VARIANT_EFFECTS_COUNTS, **SHARED_COUNTS}
    for f in ("fig5b", "fig5c", "fig5d", "supp_fig8", "supp_fig11", "supp_fig12", "fig6", "supp_fig15"):
        assert f"results/paper/figures/{f}.pdf" in res.stdout
    assert "results/paper/labels/lentimpra_k562_aleatoric/frac1.0/ensemble.h5" in res.stdout
    assert "evoaug_ensemble" not in res.stdout


def test_paper_config_atac_tracks_dry_run(tmp_path):
    """The ATAC tracks of the paper config, printing the shell commands: the WiggleTools engine
    runs exactly the paper's commands (mean and population stddev as bedGraph, then
    bedGraphToBigWig) on the three replicates chosen from ENCODE's metadata, in the conda
    environment envs/wiggletools.yaml. (The whole ATAC part's job counts: ATAC_COUNTS above.)"""
    d = "results/paper/atac/a549"
    target = f"{d}/tracks/replicates.mean.bw"
    res = run_snakemake(
        [
            "-n",
            "-p",
            target,
            "--configfile",
            str(REPO / "config" / "config.yaml"),
            "--directory",
            str(tmp_path),
        ]
    )
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    assert counts == {
        "resolve_atac_encode": 1,
        "download_atac_replicate": 3,
        "atac_chrom_sizes": 1,
        "atac_tracks": 1,
        "total": 6,
    }
    reps = " ".join(f"{d}/raw/rep{i}.bw" for i in (1, 2, 3))
    t = f"{d}/tracks/replicates"
    expected = (
        f"(wiggletools write_bg {t}.mean.bedGraph mean {reps} && "
        f"wiggletools write_bg {t}.std.bedGraph stddev {reps} && "
        f"bedGraphToBigWig {t}.mean.bedGraph {t}.chrom.sizes {t}.mean.bw && "
        f"bedGraphToBigWig {t}.std.bedGraph {t}.chrom.sizes {t}.std.bw && "
        f"rm -f {t}.mean.bedGraph {t}.std.bedGraph) "
        "> results/paper/logs/atac_tracks/a549.log 2>&1"
    )
    assert expected in res.stdout
    rules = (REPO / "workflow" / "rules" / "atac.smk").read_text()
    assert '"../../envs/wiggletools.yaml"' in rules
    env = yaml.safe_load((REPO / "envs" / "wiggletools.yaml").read_text())
    assert "bioconda" in env["channels"]
    assert {d.split("=")[0] for d in env["dependencies"]} == {"wiggletools", "ucsc-bedgraphtobigwig"}


def test_simulated_and_encode_atac_datasets_in_one_config(tmp_path):
    """Each ATAC source's rules only match their own datasets: the tiny config plus an ENCODE
    dataset builds one DAG (no ambiguity between simulate_atac and the download rules)."""
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    paper = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["atac"]["datasets"]["a549"] = paper["atac"]["datasets"]["a549"]
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(cfg))
    targets = [f"results/test/atac/{ds}/teacher_dataset.h5" for ds in ("simatac", "a549")]
    res = run_snakemake(["-n", *targets, "--configfile", str(path), "--directory", str(tmp_path)])
    assert res.returncode == 0, res.stderr + res.stdout
    counts = job_stats(res.stdout)
    assert counts == {
        "simulate_atac": 1,
        "resolve_atac_encode": 1,
        "download_atac_replicate": 3,
        "download_atac_genome": 1,
        "decompress_atac_genome": 1,
        "atac_tracks": 2,
        "atac_dataset": 2,
        "total": 11,
    }


def test_default_config_is_the_paper_config():
    res = run_snakemake(["-n"])
    assert res.returncode == 0, res.stderr
    assert job_stats(res.stdout)["train_teacher"] == 265
    assert "results/paper/figures/fig2.pdf" in res.stdout


@pytest.mark.parametrize("config", ["test.yaml", "config.yaml"])
def test_lint_is_clean(config, tmp_path):
    res = run_snakemake(
        ["--lint", "--configfile", str(REPO / "config" / config), "--directory", str(tmp_path)]
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Congratulations, your workflow is in a good condition!" in res.stdout + res.stderr


def test_snakefmt_clean():
    exe = shutil.which("snakefmt", path=str(__import__("pathlib").Path(__import__("sys").executable).parent))
    res = subprocess.run([exe, "--check", str(REPO / "workflow")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_bad_config_names_the_key(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["teachers"]["n"] = 1
    cfg["datasets"]["deepstarr"]["fractions"] = [0.5, "all"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(bad), "--directory", str(tmp_path)])
    assert res.returncode != 0
    err = res.stderr + res.stdout
    assert "key 'teachers.n': 1 is less than the minimum of 2" in err
    assert "key 'datasets.deepstarr.fractions.1': 'all' is not of type 'number'" in err


# ---------------------------------------------------------------- real tiny run
