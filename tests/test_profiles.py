"""The Slurm and workstation profiles, checked without a cluster (fast).

The live Slurm run is tests/test_slurm.py; here: every rule that declares a GPU is sent to
the GPU partition by profiles/slurm-gpu, the site-specific values can be set from the
environment, and Snakemake itself resolves the profile to the expected per-job resources.
"""

import os
import re

import pytest
from conftest import REPO, run_snakemake

PROFILE = REPO / "profiles" / "slurm-gpu" / "config.yaml"
SITE_VARS = ("DEGU_SLURM_PARTITION", "DEGU_SLURM_GPU_PARTITION", "DEGU_SLURM_ACCOUNT", "DEGU_SLURM_GPU_MODEL")


def rule_bodies(text: str) -> dict[str, str]:
    """{rule: its body} of a Snakefile's text: a rule at any indentation (rules inside an
    `if`), its body the lines indented deeper than the `rule` line."""
    bodies, lines = {}, text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)rule (\w+):", line)
        if not m:
            continue
        indent, body = len(m.group(1)), []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            body.append(nxt)
        bodies[m.group(2)] = "\n".join(body)
    return bodies


def gpu_rules() -> set[str]:
    """Rules whose `resources:` declare `gpu=`, read from the rule files' text (so a rule
    added in any workflow/rules/*.smk is covered without running Snakemake)."""
    rules = set()
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for name, body in rule_bodies(smk.read_text()).items():
            if re.search(r"^\s+gpu=", body, re.M):
                rules.add(name)
    return rules


def all_rules() -> set[str]:
    files = [REPO / "workflow" / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]
    return {n for f in files for n in rule_bodies(f.read_text())}


def test_rule_bodies_reads_indented_rules():
    text = "rule a:\n    input:\n        'x'\n\nif X:\n\n    rule b:\n        resources:\n            gpu=1,\n\nrule c:\n    output:\n        'y'\n"
    bodies = rule_bodies(text)
    assert set(bodies) == {"a", "b", "c"}
    assert "gpu=1" in bodies["b"] and "gpu" not in bodies["a"] + bodies["c"]
    assert {"score_variants", "attribution_maps", "train_teacher"} <= gpu_rules()


def parsed_profile(monkeypatch, **env) -> dict:
    """The profile exactly as Snakemake reads it (YTE templating included)."""
    from snakemake.profiles import ProfileConfigFileParser

    for var in SITE_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with open(PROFILE) as f:
        return ProfileConfigFileParser().parse(f)


def per_rule(assignments: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for a in assignments:
        rule, kv = a.split(":", 1)
        key, value = kv.split("=", 1)
        out.setdefault(rule, {})[key] = value
    return out


def test_gpu_rules_are_found():
    found = gpu_rules()
    assert {"train_teacher", "train_student", "ensemble_labels", "mc_dropout"} <= found
    assert not found & {"prepare", "subsets", "evaluate", "calibration", "performance_figures", "download"}


def test_every_gpu_rule_gets_the_gpu_partition(monkeypatch):
    prof = parsed_profile(monkeypatch)
    assert prof["executor"] == "slurm"
    sets = per_rule(prof["set-resources"])
    missing = gpu_rules() - set(sets)
    assert not missing, f"GPU rules without a set-resources entry in {PROFILE}: {sorted(missing)}"
    for rule in gpu_rules():
        assert sets[rule] == {"slurm_partition": "gpu", "gpu": "1", "cpus_per_task": "threads"}, rule
    # no stale entries: each names a rule that exists
    assert set(sets) <= all_rules(), set(sets) - all_rules()
    defaults = dict(kv.split("=", 1) for kv in prof["default-resources"])
    assert defaults["slurm_partition"] == "cpu" and "slurm_account" not in defaults
    assert int(prof["retries"]) >= 1 and int(prof["jobs"]) > 1 and int(prof["latency-wait"]) > 0


def test_site_values_come_from_the_environment(monkeypatch):
    prof = parsed_profile(
        monkeypatch,
        DEGU_SLURM_PARTITION="short",
        DEGU_SLURM_GPU_PARTITION="gpu-a100",
        DEGU_SLURM_ACCOUNT="mylab",
        DEGU_SLURM_GPU_MODEL="a100",
    )
    defaults = dict(kv.split("=", 1) for kv in prof["default-resources"])
    assert defaults["slurm_partition"] == "short" and defaults["slurm_account"] == "mylab"
    for rule, res in per_rule(prof["set-resources"]).items():
        assert res["slurm_partition"] == "gpu-a100" and res["gpu_model"] == "a100", rule


def job_resources(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a dry run prints."""
    jobs = []
    for rule, block in re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", stdout, re.M | re.S):
        m = re.search(r"^\s+resources: (.*)$", block, re.M)
        if m:
            jobs.append((rule, dict(kv.split("=", 1) for kv in m.group(1).split(", "))))
    return jobs


@pytest.mark.parametrize(
    "site", [{}, {"DEGU_SLURM_PARTITION": "short", "DEGU_SLURM_GPU_PARTITION": "gpu-a100"}]
)
def test_dry_run_with_the_slurm_profile(site, tmp_path):
    """Snakemake resolves the profile for the tiny config: GPU jobs ask for one GPU in the GPU
    partition with cpus_per_task = threads, the others get the CPU partition and no GPU."""
    env = {k: v for k, v in os.environ.items() if k not in SITE_VARS} | site
    res = run_snakemake(
        [
            "-n",
            "--profile",
            str(PROFILE.parent),
            "--configfile",
            str(REPO / "config" / "test.yaml"),
            "--directory",
            str(tmp_path),
        ],
        env=env,
    )
    assert res.returncode == 0, res.stderr + res.stdout
    jobs = job_resources(res.stdout)
    assert len(jobs) > 50
    gpu_part, cpu_part = site.get("DEGU_SLURM_GPU_PARTITION", "gpu"), site.get("DEGU_SLURM_PARTITION", "cpu")
    for rule, r in jobs:
        if rule in gpu_rules():
            assert (r["slurm_partition"], r["gpu"], r["cpus_per_task"]) == (gpu_part, "1", "1"), rule
            assert r["runtime"] == "30" and r["mem_mb"] == "4000"  # config/test.yaml, first attempt
        else:
            assert r["slurm_partition"] == cpu_part and "gpu" not in r, rule


def test_local_profile_declares_one_gpu():
    import yaml

    prof = yaml.safe_load((REPO / "profiles" / "local" / "config.yaml").read_text())
    assert prof["cores"] == "all" and "gpu=1" in prof["resources"]
