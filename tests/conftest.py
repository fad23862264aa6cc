import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
# Real data (never copied into the repo): ../shared/data beside the checkout, or DEGU_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("DEGU_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data folder {SHARED_DATA} not present (set DEGU_SHARED_DATA to point at it)")
    return SHARED_DATA


def snakemake_cmd() -> list[str]:
    exe = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")
    assert exe, "snakemake is not installed in this environment"
    return [exe]


def run_snakemake(args, cwd=REPO, timeout=1800, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_cmd() + ["-s", str(REPO / "workflow" / "Snakefile"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def job_stats(output: str) -> dict[str, int]:
    """Jobs per rule from the "Job stats" table of Snakemake's output."""
    block = output.split("Job stats:", 1)[1]
    counts = {}
    for line in block.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        counts[m.group(1)] = int(m.group(2))
    return counts


# ---------------------------------------------------------------- real tiny run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished tiny run (config/test.yaml, every target): run once per session from scratch,
    or (DEGU_TINY_RUN=<dir>, development only) the ``results/test`` of a run already made with
    the same commit and config. Shared by the workflow, report and predict tests."""
    reuse = os.environ.get("DEGU_TINY_RUN")
    if reuse:
        return Path(reuse)
    work = tmp_path_factory.mktemp("tiny")
    res = run_snakemake(
        ["--cores", "2", "--configfile", str(REPO / "config" / "test.yaml"), "--directory", str(work)],
        # 37-52 min from a fresh clone on 2 cores (docs/tiny-run.md); CI allows 90 min in all, so
        # this only turns a hung run into a failure with its log instead of CI's own time-out
        timeout=5000,
    )
    assert res.returncode == 0, res.stderr[-5000:]
    return work / "results" / "test"


# ---------------------------------------------------------------- small deepstarr run
# The target set of the fault-tolerance and live-Slurm tests: config/test.yaml unchanged,
# only its `deepstarr` dataset at its smallest fraction (0.5) - simulate_starrseq, prepare,
# subsets, the 3 teachers, ensemble_labels and one student (seed 1000): 8 jobs.
DEEPSTARR_FRACTION = "0.5"
DEEPSTARR_TARGETS = [
    f"results/test/labels/deepstarr/frac{DEEPSTARR_FRACTION}/ensemble.h5",
    f"results/test/models/deepstarr/frac{DEEPSTARR_FRACTION}/student/seed1000/predictions.h5",
]


def deepstarr_outputs(work: Path) -> list[Path]:
    """Every file the small deepstarr run produces that later jobs read (all compared in tests)."""
    res = work / "results" / "test"
    frac = f"frac{DEEPSTARR_FRACTION}"
    files = [res / "data" / "deepstarr" / "dataset.h5", res / "data" / "deepstarr" / "subsets.h5"]
    for role, seed in [("teacher", 0), ("teacher", 1), ("teacher", 2), ("student", 1000)]:
        d = res / "models" / "deepstarr" / frac / role / f"seed{seed}"
        files += [d / "model.keras", d / "history.csv", d / "predictions.h5"]
    return files + [res / "labels" / "deepstarr" / frac / "ensemble.h5"]


def incomplete_outputs(work: Path) -> list[str]:
    """The outputs Snakemake has marked incomplete (a job started, never finished) in ``work``."""
    from base64 import urlsafe_b64decode

    root = work / ".snakemake" / "incomplete"
    names = []
    for p in root.rglob("*") if root.is_dir() else []:
        if p.is_file() and p.name != "migration_underway":
            names.append(
                urlsafe_b64decode("".join(s.lstrip("@") for s in p.relative_to(root).parts)).decode()
            )
    return sorted(names)


def _kill_group_and_wait(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group of ``proc`` (Snakemake and the jobs it started)."""
    import signal
    import time

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for _ in range(100):  # job processes are reaped by init; wait until none is left
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes of group {proc.pid} survived SIGKILL")


@pytest.fixture(scope="session")
def deepstarr_killed_and_resumed(tmp_path_factory):
    """The small deepstarr run, killed (SIGKILL to Snakemake and its jobs) while a teacher is
    training, then resumed as a user would: --unlock, then --rerun-incomplete. Before resuming, a truncated file is put
    where one killed teacher's predictions.h5 goes: what a writer without atomic renames
    would leave behind. Returns what the tests need to check both steps.
    """
    import time

    work = tmp_path_factory.mktemp("deepstarr_killed")
    args = ["--cores", "2", "--configfile", str(REPO / "config" / "test.yaml"), "--directory", str(work)]
    teacher_logs = (
        work / "results" / "test" / "logs" / "train_teacher" / "deepstarr" / f"frac{DEEPSTARR_FRACTION}"
    )
    with open(work / "killed_run.log", "w") as log:
        proc = subprocess.Popen(
            snakemake_cmd() + ["-s", str(REPO / "workflow" / "Snakefile"), *args, *DEEPSTARR_TARGETS],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the kill reaches every job
        )
        start, killed_at = time.monotonic(), None
        try:
            while time.monotonic() - start < 600 and proc.poll() is None:
                logs = {p.stem: p.read_text(errors="replace") for p in teacher_logs.glob("seed*.log")}
                if any("Epoch 3/" in text for text in logs.values()):
                    killed_at = time.monotonic() - start
                    break
                time.sleep(0.2)
        finally:
            _kill_group_and_wait(proc)
    assert killed_at is not None, "no teacher reached epoch 3 before the run ended or 10 min passed"
    models = work / "results" / "test" / "models" / "deepstarr" / f"frac{DEEPSTARR_FRACTION}" / "teacher"
    logs = {p.stem: p.read_text(errors="replace") for p in teacher_logs.glob("seed*.log")}
    # teachers killed while training: a log that got past epoch 1, and no predictions yet
    killed = sorted(
        s for s, t in logs.items() if "Epoch 2/" in t and not (models / s / "predictions.h5").exists()
    )
    after_kill = {
        "files": sorted(str(p.relative_to(work)) for p in (work / "results").rglob("*") if p.is_file()),
        "incomplete": incomplete_outputs(work),
    }
    planted = models / killed[0] / "predictions.h5" if killed else None
    if planted:
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # an HDF5 signature and nothing else
    dry = run_snakemake(["-n", *args, *DEEPSTARR_TARGETS])
    t0 = time.monotonic()
    unlock = run_snakemake(["--unlock", *args, *DEEPSTARR_TARGETS])  # the killed run's lock stays behind
    assert unlock.returncode == 0, unlock.stderr
    resumed = run_snakemake([*args, "--rerun-incomplete", *DEEPSTARR_TARGETS], timeout=900)
    return {
        "work": work,
        "killed_at_s": killed_at,
        "killed": killed,
        "teacher_logs_at_kill": logs,
        "after_kill": after_kill,
        "planted": planted,
        "dry_run_without_rerun_incomplete": dry,
        "resumed": resumed,
        "resume_s": time.monotonic() - t0,
    }
