"""Send a job's output (Python logging, print, TensorFlow's C++ messages) to its log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def redirect_to(path: str | os.PathLike | None) -> None:
    """Point stdout, stderr (at the file-descriptor level) and ``logging`` at ``path``."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        force=True,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
