import os
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
