"""A run killed while a teacher is training resumes with --rerun-incomplete, and no partial
or corrupted output is ever used downstream.

The run is conftest.py's ``deepstarr_killed_and_resumed``: the deepstarr dataset of
config/test.yaml at fraction 0.5 (3 teachers, ensemble labels, one student) with
``--cores 2``, SIGKILLed (Snakemake and every job process) once a teacher log reaches epoch 3,
then rerun. tests/test_slurm.py also checks that its outputs equal those of the same targets
run through Slurm, bit for bit.
"""

import h5py
import numpy as np
import pytest
from conftest import DEEPSTARR_FRACTION, deepstarr_outputs, incomplete_outputs

pytestmark = pytest.mark.workflow
FRAC = f"frac{DEEPSTARR_FRACTION}"


def teacher_dir(seed: str) -> str:
    return f"results/test/models/deepstarr/{FRAC}/teacher/{seed}"


def test_killed_training_leaves_no_output_and_is_marked_incomplete(deepstarr_killed_and_resumed):
    r = deepstarr_killed_and_resumed
    assert r["killed"], (
        f"no teacher was mid-training at the kill ({r['killed_at_s']:.0f} s): {r['teacher_logs_at_kill']}"
    )
    files, incomplete = r["after_kill"]["files"], r["after_kill"]["incomplete"]
    for seed in r["killed"]:
        # all-or-nothing writers: a job killed mid-training left nothing, not even a temporary file
        assert not [f for f in files if f.startswith(teacher_dir(seed) + "/")], files
        # and Snakemake recorded that the job started and never finished
        for name in ("model.keras", "history.csv", "predictions.h5"):
            assert f"{teacher_dir(seed)}/{name}" in incomplete, incomplete
    # nothing downstream of a killed teacher was produced
    assert not [f for f in files if "/labels/" in f or "/student/" in f]


def test_partial_file_is_not_used_without_rerun_incomplete(deepstarr_killed_and_resumed):
    """The truncated predictions.h5 put where a killed teacher's output goes (as a writer
    without atomic renames could leave it) is refused: Snakemake names it as incomplete."""
    r = deepstarr_killed_and_resumed
    dry = r["dry_run_without_rerun_incomplete"]
    out = dry.stdout + dry.stderr
    assert dry.returncode != 0, out
    assert "IncompleteFilesException" in out and f"{teacher_dir(r['killed'][0])}/predictions.h5" in out, out


def test_rerun_incomplete_completes_with_valid_outputs(deepstarr_killed_and_resumed):
    from degu.models import load_model

    r = deepstarr_killed_and_resumed
    work = r["work"]
    assert r["resumed"].returncode == 0, r["resumed"].stderr[-5000:]
    for f in deepstarr_outputs(work):
        assert f.is_file() and f.stat().st_size > 0, f
    assert not [p for p in (work / "results").rglob("*") if ".tmp" in p.name]  # no stray temporary files
    assert incomplete_outputs(work) == []
    # the planted partial file was replaced by the retrained teacher's real predictions
    with h5py.File(r["planted"]) as f:
        assert f["Test/pred"].shape == (500, 2)
    # the ensemble labels are those of the three (retrained) teachers' saved models
    res = work / "results" / "test"
    preds = []
    for seed in range(3):
        with h5py.File(
            res / "models" / "deepstarr" / FRAC / "teacher" / f"seed{seed}" / "predictions.h5"
        ) as f:
            preds.append(f["Test/pred"][...])
    with h5py.File(res / "labels" / "deepstarr" / FRAC / "ensemble.h5") as f:
        np.testing.assert_allclose(f["Test/members"][...], np.stack(preds), atol=1e-5)
    # a killed-and-retrained teacher's model loads (safe mode) and reproduces its predictions
    seed = r["killed"][0]
    model = load_model(work / teacher_dir(seed) / "model.keras")
    with h5py.File(work / "results/test/data/deepstarr/dataset.h5") as f:
        x = f["Test/X"][:100].astype(np.float32)
    with h5py.File(work / teacher_dir(seed) / "predictions.h5") as f:
        np.testing.assert_allclose(model.predict(x, verbose=0), f["Test/pred"][:100], atol=1e-5)
