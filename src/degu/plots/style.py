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


def checked_table(
    table: pd.DataFrame,
    columns: list[str],
    what: str,
    *,
    text: tuple[str, ...],
    ints: tuple[str, ...],
    numbers: bool = False,
) -> pd.DataFrame:
    """``table[columns]`` with the columns checked, shared by the figure families that read
    tables with text keys: a missing column is a one-line ValueError naming ``what`` (e.g.
    "attribution summary"); ``text`` columns become text (a task or chromosome named 1 is the
    text "1"), ``ints`` Int64; with ``numbers`` every other column must be numeric (floats), and
    a column that is not is a one-line ValueError too."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} table lacks columns {missing}")
    table = table[columns].copy()
    for c in columns:
        if c in text:
            table[c] = table[c].map(lambda v: None if pd.isna(v) else str(v)).astype(object)
        elif c in ints and not numbers:
            table[c] = table[c].astype("Int64")
        elif numbers:
            try:
                values = pd.to_numeric(table[c])
                table[c] = values.astype("Int64") if c in ints else values.astype(float)
            except (TypeError, ValueError):
                kind = "integers" if c in ints else "numbers"
                raise ValueError(f"{what} table: column {c!r} holds values that are not {kind}") from None
    return table
