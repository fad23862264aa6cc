"""Every TensorFlow job logs its device and the scheduler's view of it, and asks for GPU memory growth."""

import os
import subprocess
import sys

SCRIPT = """
import os, sys
from degu.logs import redirect_to
from degu.runtime import setup_tensorflow
redirect_to(sys.argv[1])
device = setup_tensorflow(0, threads=1)
print("RESULT", device, "growth=" + os.environ["TF_FORCE_GPU_ALLOW_GROWTH"])
"""


def test_job_log_names_device_cuda_visible_devices_and_slurm_job(tmp_path):
    log = tmp_path / "job.log"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "0", "SLURM_JOB_ID": "4242"}
    env.pop("TF_FORCE_GPU_ALLOW_GROWTH", None)
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(log)], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    text = log.read_text()
    # the device line (GPU name(s) on a GPU machine; this test also passes on a CPU-only one)
    assert "TensorFlow" in text and " running on " in text
    assert "CUDA_VISIBLE_DEVICES=0 SLURM_JOB_ID=4242" in text
    assert "growth=true" in text  # set before TensorFlow initialises any GPU


def test_outside_slurm_the_log_says_unset(tmp_path):
    log = tmp_path / "job.log"
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID")}
    res = subprocess.run([sys.executable, "-c", SCRIPT, str(log)], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "CUDA_VISIBLE_DEVICES=unset SLURM_JOB_ID=unset" in log.read_text()
