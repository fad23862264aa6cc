"""TensorFlow process setup: determinism, threads, GPU memory growth, device logging."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("degu")


def setup_tensorflow(seed: int | None, threads: int | None = None, deterministic: bool = True) -> str:
    """Configure TensorFlow for one job and return a description of the device used.

    * ``threads`` caps intra-op parallelism (set from the Snakemake rule's threads);
      inter-op parallelism is fixed at 1: with parallel op scheduling, training-mode
      BatchNorm in graph mode is not bit-reproducible on CPU (measured for ResidualBind),
      and the setting costs no measurable speed.
    * GPUs get memory growth so several jobs can share one device (also set through
      ``TF_FORCE_GPU_ALLOW_GROWTH`` for anything that initialises the GPU earlier).
    * The log records the device, and the scheduler's view of the job: host,
      ``CUDA_VISIBLE_DEVICES`` and ``SLURM_JOB_ID`` (``unset`` outside Slurm).
    * ``seed`` seeds Python, NumPy and TensorFlow via ``keras.utils.set_random_seed``;
      ``deterministic`` additionally enables TF op determinism.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    import keras
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    except RuntimeError:  # already initialised in this process (tests); keep the settings
        pass
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    device = (
        f"GPU: {', '.join(g.name for g in gpus)} (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})"
        if gpus
        else f"CPU ({threads or 'default'} intra-op threads)"
    )
    log.info("TensorFlow %s running on %s", tf.__version__, device)
    log.info(
        "job environment: host=%s CUDA_VISIBLE_DEVICES=%s SLURM_JOB_ID=%s",
        socket.gethostname(),
        os.environ.get("CUDA_VISIBLE_DEVICES", "unset"),
        os.environ.get("SLURM_JOB_ID", "unset"),
    )
    return device
