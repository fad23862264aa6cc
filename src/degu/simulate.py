"""Simulated data in the real file formats, with planted motifs and known noise.

``simulate_starrseq`` writes the six DeepSTARR files (``Sequences_{Train,Val,Test}.fa``
and ``Sequences_activity_{Train,Val,Test}.txt``) plus ``ground_truth.tsv``.

Generative model (per sequence, per task t in {Dev, Hk}):

* background: i.i.d. bases with fly-like composition (A=T=0.29, C=G=0.21);
* with probability ``p_negative`` the sequence is a "negative" (no motifs);
  otherwise each motif m gets Poisson(``motif_rate``) instances at random
  non-overlapping positions on a random strand, each instance sampled from m's PWM;
* linear drive ``z_t = sum_i w[t, m_i] * pos(c_i) * orient[t, m_i, strand_i] + coop_t``
  where ``pos(c) = 0.5 + 0.5 * exp(-((c - L/2) / (L/4))^2)`` favours central
  instances (position effect), ``orient`` down-weights some motifs on the minus
  strand (orientation effect: Twist for Dev, ETS for Hk), and ``coop_t`` adds a bonus
  for each cooperative pair within ``COOP_DISTANCE`` bp (Dev: GATA+Twist,
  Hk: Dref+Ohler1);
* nonlinearity: ``y_clean = BASELINE + SCALE * tanh(softplus(z - THRESHOLD) / SCALE)``
  (threshold, then saturation);
* observed ``y = y_clean + Normal(0, noise_sd)``.

``ground_truth.tsv`` records ``y_clean`` per task and every planted instance as
``name:start:strand`` (0-based start of the instance on the forward strand).
The output is a deterministic function of the arguments (seed included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path
from degu.io.fasta import write_fasta
from degu.io.starrseq import SPLITS, activity_name, fasta_name

TASKS = ("Dev", "Hk")
# w[task][motif]: contribution of one instance to the task's drive
WEIGHTS = {
    "Dev": {"GATA": 1.0, "AP1": 1.3, "Twist": 0.8, "Trl": 0.7, "Dref": 0.0, "Ohler1": 0.0, "ETS": 0.1},
    "Hk": {"GATA": 0.0, "AP1": 0.1, "Twist": 0.0, "Trl": 0.3, "Dref": 1.3, "Ohler1": 1.1, "ETS": 0.9},
}
# multiplier applied to an instance on the minus strand (orientation effect)
MINUS_STRAND = {"Dev": {"Twist": 0.3}, "Hk": {"ETS": 0.4}}
COOPERATIVE = {"Dev": (("GATA", "Twist"), 1.0), "Hk": (("Dref", "Ohler1"), 0.9)}
COOP_DISTANCE = 50
THRESHOLD = 0.8
SCALE = 4.0
BASELINE = -0.5
BACKGROUND = np.array([0.29, 0.21, 0.21, 0.29])


@dataclass(frozen=True)
class Motif:
    name: str
    pwm: np.ndarray  # (w, 4) rows sum to 1, A,C,G,T


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Parse letter-probability matrices from a MEME (minimal) motif file."""
    path = Path(path)
    motifs: list[Motif] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("MOTIF"):
            parts = line.split()
            if len(parts) < 2:
                raise DeguInputError(f"{path}:{i + 1}: MOTIF line without a name")
            name = parts[1]
            while i < len(lines) and not lines[i].strip().startswith("letter-probability matrix"):
                i += 1
            if i == len(lines):
                raise DeguInputError(f"{path}: motif '{name}' has no letter-probability matrix")
            header = lines[i]
            try:
                width = int(header.split("w=")[1].split()[0])
            except (IndexError, ValueError) as exc:
                raise DeguInputError(f"{path}:{i + 1}: cannot read 'w=' in matrix header") from exc
            rows = []
            for j in range(width):
                lineno = i + 2 + j
                try:
                    row = [float(v) for v in lines[i + 1 + j].split()]
                except (IndexError, ValueError) as exc:
                    raise DeguInputError(f"{path}:{lineno}: bad matrix row for motif '{name}'") from exc
                if len(row) != 4 or abs(sum(row) - 1) > 1e-3:
                    raise DeguInputError(
                        f"{path}:{lineno}: matrix row of '{name}' must be 4 probabilities summing to 1"
                    )
                rows.append(row)
            motifs.append(Motif(name, np.asarray(rows) / np.sum(rows, axis=1, keepdims=True)))
            i += width
        i += 1
    if not motifs:
        raise DeguInputError(f"{path}: no motifs found")
    return motifs


def default_fly_motifs() -> list[Motif]:
    with resources.as_file(resources.files("degu") / "data" / "fly_motifs.meme") as p:
        return read_meme(p)


def _position_effect(center: float, length: int) -> float:
    return 0.5 + 0.5 * np.exp(-(((center - length / 2) / (length / 4)) ** 2))


def _softplus(x):
    return np.logaddexp(0.0, x)


def activity_from_instances(instances: list[tuple[str, int, str, int]], length: int) -> dict[str, float]:
    """Noiseless activity per task from planted instances ``(name, start, strand, width)``."""
    out = {}
    for task in TASKS:
        z = 0.0
        for name, start, strand, width in instances:
            w = WEIGHTS[task].get(name, 0.0)
            if strand == "-":
                w *= MINUS_STRAND[task].get(name, 1.0)
            z += w * _position_effect(start + width / 2, length)
        (a, b), bonus = COOPERATIVE[task]
        centers_a = [s + wd / 2 for n, s, _, wd in instances if n == a]
        centers_b = [s + wd / 2 for n, s, _, wd in instances if n == b]
        pairs = sum(1 for ca in centers_a for cb in centers_b if abs(ca - cb) <= COOP_DISTANCE)
        z += bonus * pairs
        out[task] = float(BASELINE + SCALE * np.tanh(_softplus(z - THRESHOLD) / SCALE))
    return out


def _sample_sequence(rng, motifs, length, p_negative, motif_rate):
    seq = rng.choice(4, size=length, p=BACKGROUND)
    occupied = np.zeros(length, dtype=bool)
    instances: list[tuple[str, int, str, int]] = []
    if rng.random() >= p_negative:
        for motif in motifs:
            for _ in range(rng.poisson(motif_rate)):
                width = len(motif.pwm)
                for _try in range(20):
                    start = int(rng.integers(0, length - width + 1))
                    if not occupied[start : start + width].any():
                        break
                else:
                    continue
                site = np.array([rng.choice(4, p=row) for row in motif.pwm])
                strand = "+" if rng.random() < 0.5 else "-"
                if strand == "-":
                    site = 3 - site[::-1]  # reverse complement in A,C,G,T coding
                seq[start : start + width] = site
                occupied[start : start + width] = True
                instances.append((motif.name, start, strand, width))
    return "".join("ACGT"[b] for b in seq), sorted(instances, key=lambda t: t[1])


def _normal_scores(v: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri
    from scipy.stats import rankdata

    return ndtri((rankdata(v) - 0.5) / len(v))


def simulate_starrseq(
    out_dir: str | os.PathLike,
    *,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int = 0,
    seq_len: int = 249,
    noise_sd: float = 0.3,
    p_negative: float = 0.2,
    motif_rate: float = 1.0,
    motifs: list[Motif] | None = None,
) -> dict[str, Path]:
    """Write the six DeepSTARR-format files and ``ground_truth.tsv`` into ``out_dir``."""
    counts = {"Train": n_train, "Val": n_val, "Test": n_test}
    bad = {k: v for k, v in counts.items() if int(v) < 1}
    if bad:
        raise DeguInputError(f"every split needs at least one record, got {bad}")
    if not 0 <= p_negative <= 1 or motif_rate < 0 or noise_sd < 0:
        raise DeguInputError("need 0 <= p_negative <= 1, motif_rate >= 0 and noise_sd >= 0")
    motifs = default_fly_motifs() if motifs is None else motifs
    if any(len(m.pwm) > seq_len for m in motifs):
        raise DeguInputError(f"seq_len {seq_len} is shorter than a motif")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    split_rngs = dict(
        zip(SPLITS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)), strict=True)
    )
    chroms = ["chr2L", "chr2R", "chr3L", "chr3R", "chrX"]
    truth_rows = []
    written: dict[str, Path] = {}
    for split in SPLITS:
        rng = split_rngs[split]
        ids, seqs, clean = [], [], []
        # unique genomic-looking coordinates, so record ids never collide
        starts = 1 + 1000 * rng.choice(max(20_000, 2 * counts[split]), size=counts[split], replace=False)
        for i in range(counts[split]):
            seq, inst = _sample_sequence(rng, motifs, seq_len, p_negative, motif_rate)
            y = activity_from_instances(inst, seq_len)
            start = int(starts[i])
            strand = "+" if rng.random() < 0.5 else "-"  # header label only: activity is defined
            # on the sequence as written in the FASTA (never reverse-complemented)
            kind = "positive_peaks" if inst else "negative"
            rid = f"{chroms[int(rng.integers(len(chroms)))]}_{start}_{start + seq_len - 1}_{strand}_{kind}"
            ids.append(rid)
            seqs.append(seq)
            clean.append([y[t] for t in TASKS])
            truth_rows.append(
                {
                    "split": split,
                    "index": i,
                    "id": rid,
                    **{f"{t}_noiseless": y[t] for t in TASKS},
                    "noise_sd": noise_sd,
                    "motifs": ";".join(f"{n}:{s}:{st}" for n, s, st, _ in inst),
                }
            )
        clean_arr = np.asarray(clean, dtype=np.float64).reshape(-1, len(TASKS))
        observed = clean_arr + rng.normal(0.0, noise_sd, size=clean_arr.shape)
        table = {}
        for j, t in enumerate(TASKS):
            table[f"{t}_log2_enrichment"] = observed[:, j]
        for j, t in enumerate(TASKS):
            v = observed[:, j]
            table[f"{t}_log2_enrichment_scaled"] = (v - v.mean()) / (v.std() or 1.0)
        for j, t in enumerate(TASKS):
            table[f"{t}_log2_enrichment_quantile_normalized"] = _normal_scores(observed[:, j])
        write_fasta(out_dir / fasta_name(split), ids, seqs)
        with atomic_path(out_dir / activity_name(split)) as tmp:
            pd.DataFrame(table).to_csv(tmp, sep="\t", index=False, float_format="%.6f")
        written[f"fasta_{split}"] = out_dir / fasta_name(split)
        written[f"activity_{split}"] = out_dir / activity_name(split)
    with atomic_path(out_dir / "ground_truth.tsv") as tmp:
        pd.DataFrame(truth_rows).to_csv(tmp, sep="\t", index=False, float_format="%.6f")
    written["ground_truth"] = out_dir / "ground_truth.tsv"
    return written
