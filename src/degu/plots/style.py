"""What every figure shares: the non-interactive backend, the method colours of the paper and
:func:`save_figure`, which writes a figure's PDF, PNG and the CSV of its plotted numbers."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from degu.io.atomic import atomic_path  # noqa: E402

# Colours of the paper: standard blue, distilled orange, ensemble green.
METHOD_STYLE = {
    "standard": {"color": sns.color_palette()[0], "label": "Standard training"},
    "distilled": {"color": sns.color_palette()[1], "label": "DEGU distilled"},
    "ensemble": {"color": sns.color_palette()[2], "label": "Teacher ensemble"},
    # non-neural reference, dashed grey as the paper draws its external reference (MPRAnn)
    "kmer_ridge": {"color": "0.45", "label": "k-mer ridge", "ls": "--"},
}


def save_figure(fig, table: pd.DataFrame, stem: str | os.PathLike) -> dict[str, Path]:
    """Write ``<stem>.pdf``, ``<stem>.png`` (200 dpi) and ``<stem>.csv`` (``table``, the plotted
    numbers), each atomically, and close ``fig``."""
    stem = Path(stem)
    out = {}
    for ext in ("pdf", "png"):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=200 if ext == "png" else None, bbox_inches="tight", format=ext)
        out[ext] = path
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        table.to_csv(tmp, index=False)
    out["csv"] = stem.with_suffix(".csv")
    plt.close(fig)
    return out
