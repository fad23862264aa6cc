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
import re
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


def _free_start(rng, occupied: np.ndarray, width: int, tries: int = 20) -> int | None:
    """A random start where ``width`` bases are still free (``None`` after ``tries`` misses)."""
    for _try in range(tries):
        start = int(rng.integers(0, len(occupied) - width + 1))
        if not occupied[start : start + width].any():
            return start
    return None


def _sample_sequence(rng, motifs, length, p_negative, motif_rate):
    seq = rng.choice(4, size=length, p=BACKGROUND)
    occupied = np.zeros(length, dtype=bool)
    instances: list[tuple[str, int, str, int]] = []
    if rng.random() >= p_negative:
        for motif in motifs:
            for _ in range(rng.poisson(motif_rate)):
                width = len(motif.pwm)
                start = _free_start(rng, occupied, width)
                if start is None:
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


# --------------------------------------------------------------------------- lentiMPRA
#
# ``simulate_lentimpra`` writes Agarwal et al. 2023 lentiMPRA tables (Supplementary Tables 3
# and 4) with planted human motifs and a known, sequence-dependent replicate noise level.

LENTI_ELEMENT_LEN = 200
LENTI_ADAPTOR_5 = "AGGACCGGATCAACT"  # the real library's 15-nt adaptors
LENTI_ADAPTOR_3 = "CATTGCGTGAACCGA"
LENTI_SEQ_LEN = len(LENTI_ADAPTOR_5) + LENTI_ELEMENT_LEN + len(LENTI_ADAPTOR_3)  # 230
LENTI_BACKGROUND = np.array([0.295, 0.205, 0.205, 0.295])  # ~41% GC, the human genome average
# w[cell type][motif]: contribution of one (central) instance to the drive z
LENTI_WEIGHTS = {
    "K562": {"GATA1": 1.2, "AP1": 1.0, "ETS": 0.4, "SP1": 0.3, "CEBP": 0.1, "CTCF": -0.4},
    "HepG2": {"HNF1A": 1.2, "HNF4A": 1.0, "CEBP": 0.8, "FOXA": 0.6, "AP1": 0.3, "SP1": 0.3, "CTCF": -0.4},
}
LENTI_DEFAULT_WEIGHTS = {
    "AP1": 0.7,
    "ETS": 0.6,
    "SP1": 0.5,
    "CEBP": 0.3,
    "GATA1": 0.2,
    "HNF1A": 0.2,
    "CTCF": -0.4,
}
# orientation effect: an instance adds +o * pos on the + strand and -o * pos on the - strand of the
# record as written, so the reverse record differs from the forward one by -2 * sum(...)
LENTI_ORIENTATION = {"GATA1": 0.12, "HNF1A": 0.12, "ETS": 0.15}
LENTI_THRESHOLD = 1.5
LENTI_SCALE = 4.0
LENTI_BASELINE = -0.8
# noise model: log(noise_sd / base_noise_sd) = noise_gain * clip(term, *LENTI_NOISE_TERM_RANGE),
# term = OFFSET + MOTIF_GAIN * min(#instances of LENTI_NOISE_MOTIF, 2) + GC_GAIN * (GC - GC_REF)
LENTI_NOISE_MOTIF = "YY1"
LENTI_NOISE_MOTIF_GAIN = 0.6
LENTI_NOISE_GC_GAIN = -8.0
LENTI_NOISE_GC_REF = 0.45
LENTI_NOISE_OFFSET = -0.3
LENTI_NOISE_TERM_RANGE = (-0.9, 1.15)
LENTI_TABLE_FORMATS = ("xlsx", "tsv", "csv")
_CELL_TYPE_RE = r"[A-Za-z0-9][A-Za-z0-9.\-]{0,17}"


def default_human_motifs() -> list[Motif]:
    with resources.as_file(resources.files("degu") / "data" / "human_motifs.meme") as p:
        return read_meme(p)


def lentimpra_weights(cell_type: str) -> dict[str, float]:
    """Motif weights of a cell type (K562 and HepG2 have their own, others share a default)."""
    return LENTI_WEIGHTS.get(cell_type, LENTI_DEFAULT_WEIGHTS)


def lentimpra_clean_activity(
    instances: list[tuple[str, int, str, int]],
    cell_type: str,
    seq_len: int = LENTI_SEQ_LEN,
    strengths: list[float] | None = None,
) -> float:
    """Noiseless activity of one record from its instances ``(name, start, strand, width)``.

    Coordinates and strands are on the record as written (230 nt, adaptors included); the
    position effect is centred on the middle of the record, which is the middle of the element.
    ``strengths`` (default 1 each) scales each instance's contribution: the CAGI5 simulator
    (:func:`simulate_cagi5`) weakens an instance that a variant hits.
    """
    weights = lentimpra_weights(cell_type)
    z = 0.0
    orient = 0.0
    if strengths is None:
        strengths = [1.0] * len(instances)
    for (name, start, strand, width), k in zip(instances, strengths, strict=True):
        pos = k * _position_effect(start + width / 2, seq_len)
        z += weights.get(name, 0.0) * pos
        orient += LENTI_ORIENTATION.get(name, 0.0) * pos * (1.0 if strand == "+" else -1.0)
    y = LENTI_BASELINE + LENTI_SCALE * np.tanh(_softplus(z - LENTI_THRESHOLD) / LENTI_SCALE)
    return float(y + orient)


def lentimpra_noise_sd(
    sequence: str,
    instances: list[tuple[str, int, str, int]],
    *,
    base_noise_sd: float = 0.25,
    noise_gain: float = 1.0,
) -> float:
    """True per-replicate noise SD of a record (see :func:`simulate_lentimpra`).

    Depends on the element's GC content (``sequence[15:215]``) and the number of planted
    ``LENTI_NOISE_MOTIF`` instances, both orientation-invariant.
    """
    a5 = len(LENTI_ADAPTOR_5)
    element = sequence[a5 : a5 + LENTI_ELEMENT_LEN] if len(sequence) == LENTI_SEQ_LEN else sequence
    gc = (element.count("G") + element.count("C")) / max(len(element), 1)
    n_motif = sum(1 for inst in instances if inst[0] == LENTI_NOISE_MOTIF)
    term = (
        LENTI_NOISE_OFFSET
        + LENTI_NOISE_MOTIF_GAIN * min(n_motif, 2)
        + LENTI_NOISE_GC_GAIN * (gc - LENTI_NOISE_GC_REF)
    )
    term = float(np.clip(term, *LENTI_NOISE_TERM_RANGE))
    return float(base_noise_sd * np.exp(noise_gain * term))


def _sample_element(rng, motifs, cums, length, p_negative, motif_rate):
    """Background with human composition plus Poisson(motif_rate) instances of each motif."""
    seq = rng.choice(4, size=length, p=LENTI_BACKGROUND)
    occupied = np.zeros(length, dtype=bool)
    instances: list[tuple[str, int, str, int]] = []
    if rng.random() >= p_negative:
        for motif, cum in zip(motifs, cums, strict=True):
            for _ in range(rng.poisson(motif_rate)):
                width = len(motif.pwm)
                start = _free_start(rng, occupied, width)
                if start is None:
                    continue
                site = (rng.random(width)[:, None] >= cum[:, :3]).sum(axis=1)
                strand = "+" if rng.random() < 0.5 else "-"
                if strand == "-":
                    site = 3 - site[::-1]
                seq[start : start + width] = site
                occupied[start : start + width] = True
                instances.append((motif.name, start, strand, width))
    return "".join("ACGT"[b] for b in seq), sorted(instances, key=lambda t: t[1])


def _write_lentimpra_table(path: Path, table: pd.DataFrame, sheet: str, table_format: str) -> None:
    with atomic_path(path) as tmp:
        if table_format == "xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                table.to_excel(writer, sheet_name=sheet, index=False)
        else:
            sep = "\t" if table_format == "tsv" else ","
            table.to_csv(tmp, sep=sep, index=False, na_rep="", lineterminator="\n")


def simulate_lentimpra(
    out_dir: str | os.PathLike,
    *,
    cell_type: str = "K562",
    n_elements: int = 1000,
    seed: int = 0,
    table_format: str = "xlsx",
    base_noise_sd: float = 0.25,
    noise_gain: float = 1.0,
    p_negative: float = 0.2,
    motif_rate: float = 0.8,
    n_replicates: int = 3,
    p_missing_replicate: float = 0.02,
    p_unmeasured: float = 0.01,
    p_reversed_0: float = 0.0,
) -> dict[str, int]:
    """Write simulated lentiMPRA data in the Agarwal et al. 2023 table formats.

    Files written into ``out_dir`` (``<fmt>`` is ``table_format``: xlsx, tsv or csv):

    * ``sequences.<fmt>``: Supplementary Table 3, sheet ``"<cell_type> large-scale"`` (xlsx):
      ``name, category, [chr.hg19, start.hg19, stop.hg19, str.hg19,] chr.hg38, start.hg38,
      stop.hg38, str.hg38,`` and the 230-nt sequence column (the hg19 columns are absent for
      K562, as in the real K562 sheet). Each sequence is the real 15-nt 5' adaptor, a 200-nt
      element and the real 15-nt 3' adaptor. Every element appears forward (``<name>``) and
      reverse-complemented (the 200-nt element only; adaptors unchanged) as
      ``<name>_Reversed``, on the next row; a fraction ``p_reversed_0`` of reverse records are
      named ``<name>_Reversed_0`` here but ``<name>_Reversed`` in Table 4 (the real HepG2
      quirk). Coordinates and categories are labels only.
    * ``replicates.<fmt>``: Supplementary Table 4, sheet ``"<cell_type>_summary_data"``:
      ``name``, ``replicate k [log2(rna/dna)]`` for k = 1..``n_replicates`` and ``mean`` (mean
      of the available replicates), rows in shuffled order. Each record independently has,
      with probability ``p_missing_replicate``, between 1 and ``n_replicates - 1`` replicates
      missing (empty cells; with 3 replicates some keep only one, which the >= 2 replicate
      rule drops); with probability ``p_unmeasured`` it has no Table 4 row at all.
    * ``ground_truth.tsv``: ``name, stem, orientation, y_clean, noise_sd, instances,
      measured, n_replicates``; ``instances`` lists ``motif:start:strand`` with the 0-based
      start on the 230-nt record as written (adaptor included) and the strand relative to it.

    Generative model, per element:

    * background: i.i.d. bases with human-like composition (A=T=0.295, C=G=0.205, ~41% GC);
    * with probability ``p_negative`` no motif; otherwise each motif of
      ``data/human_motifs.meme`` (project-written consensus PWMs named after the TF they
      resemble: GATA1, AP1, CEBP, HNF1A, HNF4A, CTCF, ETS, SP1, FOXA, YY1) gets
      Poisson(``motif_rate``) instances at random non-overlapping positions, random strand;
    * drive ``z = sum_i w[cell_type, m_i] * pos(c_i)`` with cell-type weights
      (``LENTI_WEIGHTS``: K562 GATA1/AP1 strong, HepG2 HNF1A/HNF4A/CEBP strong, CTCF
      repressive; other cell types share ``LENTI_DEFAULT_WEIGHTS``) and the position effect
      ``pos(c) = 0.5 + 0.5 * exp(-((c - 115) / 57.5)^2)`` (central instances count more);
    * saturating nonlinearity ``g(z) = BASELINE + SCALE * tanh(softplus(z - THRESHOLD) / SCALE)``;
    * orientation effect ``o = sum_i LENTI_ORIENTATION[m_i] * pos(c_i) * (+1 on the + strand,
      -1 on the - strand)``, on the record as written; ``y_clean = g(z) + o``, so the reverse
      record's clean activity is the forward one's minus ``2 * o_forward`` (a small effect,
      driven by GATA1, HNF1A and ETS);
    * noise: ``noise_sd = base_noise_sd * exp(noise_gain * clip(-0.3 + 0.6 * min(#YY1, 2)
      - 8 * (GC - 0.45), -0.9, 1.15))`` with #YY1 the planted YY1 sites and GC the element's
      GC fraction: YY1 sites and AT-rich elements are noisier (0.10-0.79, median about 0.27,
      with the defaults; ``noise_gain=0`` gives homoscedastic noise). It is the same for both
      orientations and learnable from the sequence (:func:`lentimpra_noise_sd`);
    * replicate r = ``round(y_clean + Normal(0, noise_sd), 6)``, independently per replicate.

    The output is a deterministic function of the arguments (tsv/csv byte-identical; xlsx
    identical cell values). Returns counts of what was written: ``n_elements``, ``n_records``
    (2 per element), ``n_measured`` / ``n_unmeasured`` (records with / without a Table 4 row),
    ``n_with_missing_replicates`` and ``n_single_replicate`` (among measured records),
    ``n_reversed_0`` and ``n_instances`` (motif instances planted, per element).
    """
    errors = []
    if not isinstance(cell_type, str) or not re.fullmatch(_CELL_TYPE_RE, cell_type):
        errors.append(
            f"cell_type must be 1-18 letters, digits, '.' or '-' (it names the Excel sheets), got {cell_type!r}"
        )
    if table_format not in LENTI_TABLE_FORMATS:
        errors.append(f"table_format must be one of {LENTI_TABLE_FORMATS}, got {table_format!r}")
    if int(n_elements) != n_elements or n_elements < 1:
        errors.append(f"n_elements must be a positive integer, got {n_elements!r}")
    if int(n_replicates) != n_replicates or not 2 <= n_replicates <= 20:
        errors.append(f"n_replicates must be an integer from 2 to 20, got {n_replicates!r}")
    if not base_noise_sd > 0:
        errors.append(f"base_noise_sd must be > 0, got {base_noise_sd!r}")
    if not noise_gain >= 0:
        errors.append(f"noise_gain must be >= 0, got {noise_gain!r}")
    if not motif_rate >= 0:
        errors.append(f"motif_rate must be >= 0, got {motif_rate!r}")
    probs = {
        "p_negative": p_negative,
        "p_missing_replicate": p_missing_replicate,
        "p_unmeasured": p_unmeasured,
        "p_reversed_0": p_reversed_0,
    }
    errors += [f"{k} must be in [0, 1], got {v!r}" for k, v in probs.items() if not 0 <= v <= 1]
    if errors:
        raise DeguInputError("simulate_lentimpra: " + "; ".join(errors))
    from degu.io.lentimpra import MEAN_COLUMN, SEQUENCE_COLUMN

    n_elements, n_replicates = int(n_elements), int(n_replicates)
    motifs = default_human_motifs()
    cums = [np.cumsum(m.pwm, axis=1) for m in motifs]
    rng_seq, rng_meta, rng_noise, rng_design = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    a5, el_len = len(LENTI_ADAPTOR_5), LENTI_ELEMENT_LEN

    # element names and coordinates (labels only)
    ids = rng_meta.choice(20 * n_elements + 10_000, size=n_elements, replace=False) + 1
    is_promoter = rng_meta.random(n_elements) < 0.15
    chroms = rng_meta.choice([f"chr{c}" for c in [*range(1, 23), "X"]], size=n_elements)
    starts38 = rng_meta.integers(1_000_000, 150_000_000, size=n_elements)
    shift19 = rng_meta.integers(-300_000, 300_000, size=n_elements)
    strands = np.where(rng_meta.random(n_elements) < 0.5, "+", "-")

    seq_rows, truth = [], []
    for i in range(n_elements):
        element, inst = _sample_element(rng_seq, motifs, cums, el_len, p_negative, motif_rate)
        stem = f"ENSG{ids[i]:011d}" if is_promoter[i] else f"DNasePeakNoPromoter{ids[i]}"
        category = "promoter" if is_promoter[i] else "potential enhancer"
        fwd_inst = [(n, s + a5, st, w) for n, s, st, w in inst]
        rev_inst = sorted(
            ((n, a5 + el_len - (s + w), "-" if st == "+" else "+", w) for n, s, st, w in inst),
            key=lambda t: t[1],
        )
        rc = element[::-1].translate(str.maketrans("ACGT", "TGCA"))
        for orientation, body, rinst in (("forward", element, fwd_inst), ("reverse", rc, rev_inst)):
            seq = LENTI_ADAPTOR_5 + body + LENTI_ADAPTOR_3
            name = stem if orientation == "forward" else f"{stem}_Reversed"
            strand = strands[i] if orientation == "forward" else ("-" if strands[i] == "+" else "+")
            seq_rows.append(
                {
                    "name": name,
                    "category": category,
                    "chr.hg19": chroms[i],
                    "start.hg19": int(starts38[i] + shift19[i]),
                    "stop.hg19": int(starts38[i] + shift19[i] + el_len),
                    "str.hg19": strand,
                    "chr.hg38": chroms[i],
                    "start.hg38": int(starts38[i]),
                    "stop.hg38": int(starts38[i] + el_len),
                    "str.hg38": strand,
                    SEQUENCE_COLUMN: seq,
                }
            )
            truth.append(
                {
                    "name": name,
                    "stem": stem,
                    "orientation": orientation,
                    "y_clean": lentimpra_clean_activity(rinst, cell_type),
                    "noise_sd": lentimpra_noise_sd(
                        seq, rinst, base_noise_sd=base_noise_sd, noise_gain=noise_gain
                    ),
                    "instances": ";".join(f"{n}:{s}:{st}" for n, s, st, _ in rinst),
                }
            )
    n_rec = len(seq_rows)
    y_clean = np.array([t["y_clean"] for t in truth])
    noise_sd = np.array([t["noise_sd"] for t in truth])
    reps = np.round(
        y_clean[:, None] + noise_sd[:, None] * rng_noise.standard_normal((n_rec, n_replicates)), 6
    )

    # study design: missing replicates, unmeasured records, Table 3's _Reversed_0 names
    has_missing = rng_design.random(n_rec) < p_missing_replicate
    for r in np.flatnonzero(has_missing):
        k = int(rng_design.integers(1, n_replicates))
        reps[r, rng_design.permutation(n_replicates)[:k]] = np.nan
    measured = rng_design.random(n_rec) >= p_unmeasured
    reversed_0 = np.zeros(n_rec, dtype=bool)
    reversed_0[1::2] = rng_design.random(n_elements) < p_reversed_0
    order = rng_design.permutation(n_rec)

    n_avail = np.isfinite(reps).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.round(np.nanmean(reps, axis=1), 6)
    names = [row["name"] for row in seq_rows]
    for r in np.flatnonzero(reversed_0):
        seq_rows[r]["name"] = names[r] + "_0"
    for r, t in enumerate(truth):
        t["measured"] = int(measured[r])
        t["n_replicates"] = int(n_avail[r]) if measured[r] else 0

    seq_table = pd.DataFrame(seq_rows)
    if cell_type == "K562":
        seq_table = seq_table.drop(columns=["chr.hg19", "start.hg19", "stop.hg19", "str.hg19"])
    rep_names = [f"replicate {k} [log2(rna/dna)]" for k in range(1, n_replicates + 1)]
    rows4 = [r for r in order if measured[r]]
    rep_table = pd.DataFrame({"name": [names[r] for r in rows4]})
    for k, col in enumerate(rep_names):
        rep_table[col] = reps[rows4, k]
    rep_table[MEAN_COLUMN] = mean[rows4]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_lentimpra_table(
        out_dir / f"sequences.{table_format}", seq_table, f"{cell_type} large-scale", table_format
    )
    _write_lentimpra_table(
        out_dir / f"replicates.{table_format}", rep_table, f"{cell_type}_summary_data", table_format
    )
    with atomic_path(out_dir / "ground_truth.tsv") as tmp:
        pd.DataFrame(truth).to_csv(tmp, sep="\t", index=False, float_format="%.6f", lineterminator="\n")
    return {
        "n_elements": n_elements,
        "n_records": n_rec,
        "n_measured": int(measured.sum()),
        "n_unmeasured": int((~measured).sum()),
        "n_with_missing_replicates": int((has_missing & measured).sum()),
        "n_single_replicate": int(((n_avail == 1) & measured).sum()),
        "n_reversed_0": int(reversed_0.sum()),
        "n_instances": int(sum(len(t["instances"].split(";")) for t in truth if t["instances"]) // 2),
    }


# --------------------------------------------------------------------------- ground truth
#
# What the attribution analysis (issue 12) scores maps against: the planted instances of the
# motifs that act on a task. A motif "acts" when its weight for the task (or its cell type) is
# non-zero, or it has an orientation or cooperativity term there; motifs planted but inert
# for the task (e.g. Dref for Dev) are not ground truth for that task.


def functional_motifs(assay: str, task: str, cell_type: str | None = None) -> set[str]:
    """Names of the motifs whose planted instances change ``task``'s noiseless activity.

    ``assay`` is ``starrseq`` (tasks ``Dev``, ``Hk``) or ``lentimpra`` (the task's activity
    follows ``cell_type``'s weights; default: the task name itself)."""
    if assay == "starrseq":
        if task not in WEIGHTS:
            raise DeguInputError(f"simulated STARR-seq has tasks {list(WEIGHTS)}, not {task!r}")
        names = {m for m, w in WEIGHTS[task].items() if w != 0.0}
        names |= set(MINUS_STRAND[task]) | set(COOPERATIVE[task][0])
        return names
    if assay == "lentimpra":
        weights = lentimpra_weights(cell_type or task)
        return {m for m, w in weights.items() if w != 0.0} | set(LENTI_ORIENTATION)
    raise DeguInputError(f"no simulator ground truth for assay {assay!r}")


def motif_widths(assay: str) -> dict[str, int]:
    """Width of every motif the simulator of ``assay`` plants."""
    motifs = default_fly_motifs() if assay == "starrseq" else default_human_motifs()
    return {m.name: len(m.pwm) for m in motifs}


def planted_instances(ground_truth_tsv, assay: str, split: str | None = None) -> dict[str, str]:
    """``{record id: "NAME:start:strand;..."}`` from a simulator's ``ground_truth.tsv``: the
    STARR-seq simulator's ``id``/``motifs`` columns or the lentiMPRA simulator's
    ``name``/``instances`` (0-based starts on the record as the model sees it).

    ``split`` keeps only that split's rows where the file has a ``split`` column (the
    STARR-seq simulator's ids are unique within a split, not across splits). A record id that
    occurs twice in what is kept is an error."""
    id_col, inst_col = ("id", "motifs") if assay == "starrseq" else ("name", "instances")
    table = pd.read_csv(ground_truth_tsv, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in (id_col, inst_col) if c not in table.columns]
    if missing:
        raise DeguInputError(
            f"{ground_truth_tsv}: no column(s) {missing}; is it a {assay} simulator's truth?"
        )
    if split is not None and "split" in table.columns:
        table = table[table["split"] == split]
    dup = table[id_col][table[id_col].duplicated()]
    if len(dup):
        raise DeguInputError(
            f"{ground_truth_tsv}: record id '{dup.iloc[0]}' occurs more than once"
            + (f" in split {split}" if split is not None and "split" in table.columns else "")
        )
    return dict(zip(table[id_col], table[inst_col], strict=True))


def truth_key(record_id: str, truth: dict[str, str]) -> str | None:
    """The ground-truth name of a record id: itself, or, for the real HepG2 table's
    ``<name>_Reversed_0`` quirk that the simulator reproduces, ``<name>_Reversed``."""
    if record_id in truth:
        return record_id
    if record_id.endswith("_Reversed_0") and record_id[:-2] in truth:
        return record_id[:-2]
    return None


# --------------------------------------------------------------------------- CAGI5 loci
#
# A saturation-mutagenesis MPRA of simulated regulatory elements, written in the official
# CAGI5 file format (issue 13), for the variant-effect analysis of the tiny config.

CAGI5_HEADER_LINES = (
    "##Chrom\tGRCh37/hg19 chromosome name",
    "##Pos\tChromosomal position (1-based)",
    "##Ref\tReference allele",
    "##Alt\tAlternate allele",
    "##Value\tEstimated variant effect",
    "##Confidence\tConfidence score [0-1]",
    "#Chrom\tPos\tRef\tAlt\tValue\tConfidence",
)
CAGI5_SETS = ("release", "challenge")
_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def _site_strength(
    motif: Motif, instance: tuple[str, int, str, int], planted: str, pos: int, alt: str
) -> float:
    """How much of a planted instance survives a substitution at record position ``pos``:
    ``min(1, p(alt) / p(planted base))`` under the motif's PWM, read on the instance's strand."""
    _, start, strand, width = instance
    col = pos - start
    base, new = planted[pos], alt
    if strand == "-":
        col = width - 1 - col
        base, new = _COMPLEMENT[base], _COMPLEMENT[new]
    p = motif.pwm[col]
    return float(min(1.0, p["ACGT".index(new)] / p["ACGT".index(base)]))


def cagi5_variant_activity(
    record: str, instances: list[tuple[str, int, str, int]], cell_type: str, pos: int, alt: str
) -> float:
    """Noiseless activity of ``record`` (230 nt as the assay measures it) with ``alt`` at
    ``pos``: instances that cover ``pos`` keep :func:`_site_strength` of their effect (a
    substitution never creates a new site in this model)."""
    motifs = {m.name: m for m in default_human_motifs()}
    strengths = [
        _site_strength(motifs[inst[0]], inst, record, pos, alt) if inst[1] <= pos < inst[1] + inst[3] else 1.0
        for inst in instances
    ]
    return lentimpra_clean_activity(instances, cell_type, strengths=strengths)


def _fasta_lines(name: str, seq: str, width: int = 60) -> list[str]:
    return [f">{name}"] + [seq[i : i + width] for i in range(0, len(seq), width)]


def simulate_cagi5(
    out_dir: str | os.PathLike,
    *,
    loci: dict[str, str],
    seed: int = 0,
    flank: int = 100,
    chrom_len: int = 1000,
    release_fraction: float = 0.3,
    n_replicates: int = 3,
    base_noise_sd: float = 0.25,
    min_activity: float = 1.0,
    motif_rate: float = 1.2,
) -> dict[str, dict[str, int]]:
    """Write a CAGI5-style saturation-mutagenesis data set of simulated elements.

    One locus per entry of ``loci`` (``{locus name: cell type}``, e.g. ``{"SIMK562":
    "K562"}``). Each locus is a 200-nt element drawn like :func:`simulate_lentimpra`'s (human
    background, planted motifs; redrawn until its noiseless activity in its cell type is at
    least ``min_activity``, i.e. an active element), with ``flank`` nt of plain background on
    each side, placed at a random offset on its own chromosome ``chr<i>`` of ``chrom_len`` nt.

    The "experiment" is the lentiMPRA assay of :func:`simulate_lentimpra`: every single-base
    substitution of the element is measured in the 230-nt reporter (the real adaptors, the
    element, mutated). True effect = noiseless activity(alt record) - noiseless activity(ref
    record), with a substitution inside a planted instance keeping
    ``min(1, p(alt) / p(ref base))`` of that instance's effect under its PWM
    (:func:`cagi5_variant_activity`). Measured effect (``Value``) = true effect + Normal(0,
    ``sqrt(sd_ref^2 + sd_alt^2) / sqrt(n_replicates)``) with the records' noise SDs from
    :func:`lentimpra_noise_sd`, rounded to 2 decimals as the official files; ``Confidence`` =
    ``2 Phi(|Value| / sd) - 1``, rounded to 2 decimals. Each variant goes to the release set
    with probability ``release_fraction``, else to the challenge set.

    Files written into ``out_dir``:

    * ``release_<LOCUS>.tsv`` and ``challenge_<LOCUS>.tsv``: the official CAGI5 layout (six
      ``##`` lines, then ``#Chrom Pos Ref Alt Value Confidence``; ``#Chrom`` without ``chr``,
      1-based ``Pos``);
    * ``genome.fa``: the chromosomes (60-nt lines; flanks and the rest of each chromosome in
      lowercase, as soft-masked genome sequence; the element in uppercase);
    * ``elements.csv``: the ``base_seqs_v2.csv`` layout (``regulatory_element, ref_sequence,
      start_pos``; the element with its flanks, 0-based start);
    * ``cagi5_truth.tsv``: ``locus, cell_type, set, chrom, pos, ref, alt, true_effect,
      measured, noise_sd`` for every variant, and the element's planted instances
      (``instances``, on the 230-nt record).

    Deterministic in its arguments. Returns ``{locus: {"n_variants", "n_release",
    "n_challenge", "n_instances"}}``."""
    from scipy.stats import norm

    errors = []
    if not loci:
        errors.append("loci must name at least one locus")
    for name, cell in (loci or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-]*", str(name)):
            errors.append(f"locus name {name!r} must be letters, digits and '-'")
        if not isinstance(cell, str) or not re.fullmatch(_CELL_TYPE_RE, cell):
            errors.append(
                f"cell type of locus {name!r} must be 1-18 letters, digits, '.' or '-', got {cell!r}"
            )
    if not 0 <= release_fraction <= 1:
        errors.append(f"release_fraction must be in [0, 1], got {release_fraction!r}")
    if int(flank) != flank or flank < 0:
        errors.append(f"flank must be an integer >= 0, got {flank!r}")
    if int(chrom_len) != chrom_len or chrom_len < LENTI_ELEMENT_LEN + 2 * flank:
        errors.append(f"chrom_len must be an integer >= {LENTI_ELEMENT_LEN} + 2 * flank, got {chrom_len!r}")
    if int(n_replicates) != n_replicates or n_replicates < 1:
        errors.append(f"n_replicates must be a positive integer, got {n_replicates!r}")
    if errors:
        raise DeguInputError("simulate_cagi5: " + "; ".join(errors))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    motifs = default_human_motifs()
    cums = [np.cumsum(m.pwm, axis=1) for m in motifs]
    a5, el_len = len(LENTI_ADAPTOR_5), LENTI_ELEMENT_LEN
    rngs = np.random.SeedSequence(seed).spawn(len(loci))
    fasta, elements, truth, counts = [], [], [], {}
    for i, ((locus, cell), ss) in enumerate(zip(loci.items(), rngs, strict=True)):
        rng_el, rng_genome, rng_noise, rng_set = (np.random.default_rng(s) for s in ss.spawn(4))
        for _ in range(200):
            element, inst = _sample_element(rng_el, motifs, cums, el_len, 0.0, motif_rate)
            record = LENTI_ADAPTOR_5 + element + LENTI_ADAPTOR_3
            rinst = [(n, s + a5, st, w) for n, s, st, w in inst]
            y_ref = lentimpra_clean_activity(rinst, cell)
            if y_ref >= min_activity:
                break
        else:
            raise DeguInputError(
                f"simulate_cagi5: no element of locus {locus} reached activity {min_activity} in {cell} "
                "in 200 draws; lower min_activity"
            )
        background = "".join("ACGT"[b] for b in rng_genome.choice(4, size=int(chrom_len), p=LENTI_BACKGROUND))
        offset = int(rng_genome.integers(0, int(chrom_len) - el_len - 2 * int(flank) + 1))
        el_start = offset + int(flank)  # 0-based genomic start of the element
        chrom_seq = background[:el_start].lower() + element + background[el_start + el_len :].lower()
        chrom = str(i + 1)
        fasta += _fasta_lines(f"chr{chrom}", chrom_seq)
        elements.append(
            {
                "regulatory_element": locus,
                "ref_sequence": chrom_seq[offset : el_start + el_len + int(flank)].upper(),
                "start_pos": offset,
            }
        )
        sd_ref = lentimpra_noise_sd(record, rinst, base_noise_sd=base_noise_sd)
        rows = []
        for p in range(el_len):
            for alt in "ACGT":
                if alt == element[p]:
                    continue
                alt_record = record[: a5 + p] + alt + record[a5 + p + 1 :]
                effect = cagi5_variant_activity(record, rinst, cell, a5 + p, alt) - y_ref
                sd = float(
                    np.hypot(sd_ref, lentimpra_noise_sd(alt_record, rinst, base_noise_sd=base_noise_sd))
                )
                sd /= np.sqrt(n_replicates)
                rows.append((el_start + p + 1, element[p], alt, effect, sd))
        n = len(rows)
        measured = np.round(
            np.array([r[3] for r in rows]) + np.array([r[4] for r in rows]) * rng_noise.standard_normal(n), 2
        )
        measured = measured + 0.0  # no negative zeros in the files
        confidence = np.round(2 * norm.cdf(np.abs(measured) / np.array([r[4] for r in rows])) - 1, 2)
        in_release = rng_set.random(n) < release_fraction
        for set_name in CAGI5_SETS:
            keep = in_release if set_name == "release" else ~in_release
            lines = list(CAGI5_HEADER_LINES)
            lines += [
                f"{chrom}\t{r[0]}\t{r[1]}\t{r[2]}\t{measured[j]:.2f}\t{confidence[j]:.2f}"
                for j, r in enumerate(rows)
                if keep[j]
            ]
            with atomic_path(out_dir / f"{set_name}_{locus}.tsv") as tmp:
                Path(tmp).write_text("\n".join(lines) + "\n")
        instances = ";".join(f"{nm}:{s}:{st}" for nm, s, st, _ in rinst)
        truth += [
            {
                "locus": locus,
                "cell_type": cell,
                "set": "release" if in_release[j] else "challenge",
                "chrom": chrom,
                "pos": r[0],
                "ref": r[1],
                "alt": r[2],
                "true_effect": r[3],
                "measured": measured[j],
                "noise_sd": r[4],
                "instances": instances,
            }
            for j, r in enumerate(rows)
        ]
        counts[locus] = {
            "n_variants": n,
            "n_release": int(in_release.sum()),
            "n_challenge": int((~in_release).sum()),
            "n_instances": len(rinst),
        }
    with atomic_path(out_dir / "genome.fa") as tmp:
        Path(tmp).write_text("\n".join(fasta) + "\n")
    with atomic_path(out_dir / "elements.csv") as tmp:
        pd.DataFrame(elements).to_csv(tmp, index=False, lineterminator="\n")
    with atomic_path(out_dir / "cagi5_truth.tsv") as tmp:
        pd.DataFrame(truth).to_csv(tmp, sep="\t", index=False, float_format="%.6f", lineterminator="\n")
    return counts


# ------------------------------------------------------------------ ATAC-seq profiles (Supp Fig 1)

#: default simulated genome: chromosome sizes (chr8 = test, chr9 = validation, the rest
#: training; chrY and the contig are excluded by the default splits)
ATAC_CHROMOSOMES = {
    "chr1": 100_000,
    "chr2": 80_000,
    "chr8": 60_000,
    "chr9": 60_000,
    "chrY": 20_000,
    "chrUn_sim1": 12_000,
}
#: peak height per planted site of each motif (fold change above the baseline); the other
#: human motifs (GATA1, HNF1A, HNF4A, YY1) are planted too but open nothing (decoys)
ATAC_WEIGHTS = {"CTCF": 10.0, "AP1": 8.0, "CEBP": 6.0, "FOXA": 5.0, "SP1": 4.0, "ETS": 3.0}
#: per-replicate log-normal sd of a site's peak height: AP1 peaks vary most between replicates,
#: so the replicate std (aleatoric track) depends on the sequence, as it should be learnable
ATAC_SITE_NOISE = {"AP1": 0.6}
ATAC_DEFAULT_SITE_NOISE = 0.2


def atac_profile(
    length: int, sites: list[tuple[int, float]], *, baseline: float, peak_sd: float
) -> np.ndarray:
    """Noiseless coverage of one chromosome: ``baseline + sum_i h_i exp(-(x - c_i)^2 / (2
    peak_sd^2))`` over sites ``(c_i, h_i)`` (centre, height), evaluated at every base x (float64);
    each peak is cut off beyond 5 ``peak_sd``."""
    y = np.full(length, float(baseline))
    half = int(np.ceil(5 * peak_sd))
    for c, h in sites:
        a, b = max(0, int(c) - half), min(length, int(c) + half + 1)
        x = np.arange(a, b)
        y[a:b] += h * np.exp(-0.5 * ((x - c) / peak_sd) ** 2)
    return y


def simulate_atac(
    out_dir: str | os.PathLike,
    *,
    chromosomes: dict[str, int] | None = None,
    seed: int = 0,
    n_replicates: int = 3,
    site_rate: float = 0.5,
    peak_sd: float = 40.0,
    baseline: float = 0.3,
    replicate_scale_sd: float = 0.1,
    background_shape: float = 4.0,
    telomere_n: int = 4000,
    gaps_per_replicate: int = 2,
    gap_length: tuple[int, int] = (200, 1500),
) -> dict[str, int]:
    """Write a simulated ATAC-seq data set in the real formats into ``out_dir``.

    Files:

    * ``genome.fa``: one record per chromosome of ``chromosomes`` (default
      ``ATAC_CHROMOSOMES``; must include chr8 and chr9), 60 bases a line, uppercase;
      ``chrom.sizes`` beside it;
    * ``rep1.bw`` .. ``rep<n_replicates>.bw``: replicate coverage ("fold change") bigWigs;
    * ``truth.bw``: the noiseless profile; ``sites.tsv``: the planted sites (``chrom, start,
      end, motif, strand, center, height, noise_sd``; 0-based half-open ``start``-``end`` of the
      instance on the forward strand, ``height`` 0 for decoys).

    Generative model, per chromosome:

    * the first ``telomere_n`` bases are N (as hg38's chromosome ends): no data in any track;
    * elsewhere i.i.d. bases with human composition (``LENTI_BACKGROUND``), and
      Poisson(``site_rate`` per kb) motif instances drawn from ``data/human_motifs.meme``
      (motif uniform, random strand, non-overlapping), each sampled from its PWM;
    * noiseless profile (:func:`atac_profile`): ``baseline`` plus a Gaussian peak of sd
      ``peak_sd`` bp centred on each site, of height ``ATAC_WEIGHTS[motif]`` (0 for decoys);
    * replicate r: ``s_r * (baseline * u_r(x) + sum_i h_i a_ri peak_i(x))`` with a replicate scale
      ``s_r ~ LogNormal(0, replicate_scale_sd)``, per-base background noise ``u_r(x) ~
      Gamma(background_shape, 1 / background_shape)`` (mean 1) and per-site heights ``a_ri ~
      LogNormal(0, noise_sd(motif))`` (``ATAC_SITE_NOISE``, default
      ``ATAC_DEFAULT_SITE_NOISE``): non-negative, multiplicative like fold change;
    * each replicate has ``gaps_per_replicate`` stretches of no data per chromosome (length
      uniform in ``gap_length``), which the WiggleTools semantics count as 0; values are rounded
      to 4 decimals.

    The output is a deterministic function of the arguments. Returns counts: ``n_sites``,
    ``n_accessible_sites`` (sites with a peak), ``n_bases``.
    """
    from degu.io.bigwig import write_bigwig, write_chrom_sizes

    chromosomes = dict(ATAC_CHROMOSOMES if chromosomes is None else chromosomes)
    errors = []
    for c in ("chr8", "chr9"):
        if c not in chromosomes:
            errors.append(f"chromosomes must include {c} (the test and validation chromosomes)")
    for c, n in chromosomes.items():
        if not re.fullmatch(r"chr[A-Za-z0-9_]+", str(c)):
            errors.append(f"chromosome name {c!r} must look like chr1, chrX or chrUn_x")
        if int(n) != n or n < telomere_n + 1000:
            errors.append(f"chromosome {c} must be an integer of at least telomere_n + 1000 bp, got {n!r}")
    if int(n_replicates) != n_replicates or not 2 <= n_replicates <= 20:
        errors.append(f"n_replicates must be an integer from 2 to 20, got {n_replicates!r}")
    if not site_rate >= 0 or not peak_sd > 0 or not baseline >= 0 or not background_shape > 0:
        errors.append("need site_rate >= 0, peak_sd > 0, baseline >= 0 and background_shape > 0")
    if not replicate_scale_sd >= 0 or telomere_n < 0 or gaps_per_replicate < 0:
        errors.append("need replicate_scale_sd >= 0, telomere_n >= 0 and gaps_per_replicate >= 0")
    if not 1 <= gap_length[0] <= gap_length[1]:
        errors.append(f"gap_length must be (min, max) with 1 <= min <= max, got {gap_length!r}")
    if errors:
        raise DeguInputError("simulate_atac: " + "; ".join(errors))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    motifs = default_human_motifs()
    cums = [np.cumsum(m.pwm, axis=1) for m in motifs]
    rng_seq, rng_sites, rng_noise, rng_gaps = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    scales = np.exp(replicate_scale_sd * rng_noise.standard_normal(n_replicates))

    fasta: list[str] = []
    truth: dict[str, np.ndarray] = {}
    reps: list[dict[str, np.ndarray]] = [{} for _ in range(n_replicates)]
    site_rows = []
    for chrom, n in chromosomes.items():
        n = int(n)
        seq = rng_seq.choice(4, size=n, p=LENTI_BACKGROUND).astype(np.int8)
        seq[:telomere_n] = -1
        occupied = np.zeros(n, dtype=bool)
        occupied[:telomere_n] = True
        sites = []
        for _ in range(rng_sites.poisson(site_rate * (n - telomere_n) / 1000)):
            k = int(rng_sites.integers(len(motifs)))
            motif, width = motifs[k], len(motifs[k].pwm)
            start = _free_start(rng_sites, occupied, width)
            if start is None:
                continue
            site = (rng_sites.random(width)[:, None] >= cums[k][:, :3]).sum(axis=1)
            strand = "+" if rng_sites.random() < 0.5 else "-"
            if strand == "-":
                site = 3 - site[::-1]
            seq[start : start + width] = site
            occupied[start : start + width] = True
            sites.append((start, motif.name, strand, width))
        sites.sort()
        text = "".join(np.array(list("ACGTN"))[np.where(seq < 0, 4, seq)])
        fasta += _fasta_lines(chrom, text)
        centers = [s + w / 2 for s, _, _, w in sites]
        heights = [ATAC_WEIGHTS.get(m, 0.0) for _, m, _, _ in sites]
        noise_sd = [ATAC_SITE_NOISE.get(m, ATAC_DEFAULT_SITE_NOISE) for _, m, _, _ in sites]
        clean = atac_profile(n, list(zip(centers, heights, strict=True)), baseline=baseline, peak_sd=peak_sd)
        clean[:telomere_n] = np.nan
        truth[chrom] = clean.astype(np.float32)
        for (start, m, strand, w), c, h, sd in zip(sites, centers, heights, noise_sd, strict=True):
            site_rows.append(
                {
                    "chrom": chrom,
                    "start": start,
                    "end": start + w,
                    "motif": m,
                    "strand": strand,
                    "center": c,
                    "height": h,
                    "noise_sd": sd,
                }
            )
        for r in range(n_replicates):
            amp = np.exp(np.asarray(noise_sd) * rng_noise.standard_normal(len(sites)))
            peaks = atac_profile(
                n,
                [(c, h * a) for c, h, a in zip(centers, heights, amp, strict=True)],
                baseline=0.0,
                peak_sd=peak_sd,
            )
            bg = rng_noise.gamma(background_shape, 1.0 / background_shape, size=n)
            y = scales[r] * (baseline * bg + peaks)
            y[:telomere_n] = np.nan
            for _ in range(gaps_per_replicate):
                g = int(rng_gaps.integers(gap_length[0], gap_length[1] + 1))
                a = int(rng_gaps.integers(telomere_n, max(telomere_n + 1, n - g)))
                y[a : a + g] = np.nan
            reps[r][chrom] = np.round(y, 4).astype(np.float32)
    with atomic_path(out_dir / "genome.fa") as tmp:
        Path(tmp).write_text("\n".join(fasta) + "\n")
    write_chrom_sizes(out_dir / "chrom.sizes", chromosomes)
    for r in range(n_replicates):
        write_bigwig(out_dir / f"rep{r + 1}.bw", reps[r], chromosomes)
    write_bigwig(out_dir / "truth.bw", truth, chromosomes)
    with atomic_path(out_dir / "sites.tsv") as tmp:
        cols = ["chrom", "start", "end", "motif", "strand", "center", "height", "noise_sd"]
        pd.DataFrame(site_rows, columns=cols).to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    return {
        "n_sites": len(site_rows),
        "n_accessible_sites": sum(1 for s in site_rows if s["height"] > 0),
        "n_bases": int(sum(chromosomes.values())),
    }
