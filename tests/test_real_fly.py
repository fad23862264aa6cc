"""Checks against 250 real D. melanogaster DeepSTARR sequences (+ reverse complements)."""

import numpy as np
import pytest

from degu.assays.datasets import prepare_starrseq
from degu.assays.simulate import BACKGROUND, simulate_starrseq
from degu.io import hdf5
from degu.io.encoding import decode, reverse_complement_onehot
from degu.io.fasta import write_fasta


@pytest.fixture(scope="module")
def real_x(shared_data):
    with np.load(shared_data / "deepstarr_seqs" / "real_fly_seqs_250_with_rc.npz", allow_pickle=False) as d:
        x = d["X"]
    assert x.shape == (500, 249, 4) and x.dtype == np.uint8
    return x


def test_real_sequences_roundtrip_through_fasta_and_prepare(real_x, tmp_path):
    seqs = decode(real_x)
    assert all(len(s) == 249 and set(s) <= set("ACGT") for s in seqs)
    parts = {"Train": slice(0, 300), "Val": slice(300, 400), "Test": slice(400, 500)}
    for split, sl in parts.items():
        idx = range(500)[sl]
        write_fasta(
            tmp_path / f"Sequences_{split}.fa",
            [f"chr2L_{i}_{i + 248}_+_positive_peaks" for i in idx],
            seqs[sl],
        )
        rows = "".join(f"{i * 0.01:.2f}\t{-i * 0.01:.2f}\n" for i in idx)
        (tmp_path / f"Sequences_activity_{split}.txt").write_text(
            "Dev_log2_enrichment\tHk_log2_enrichment\n" + rows
        )
    prepare_starrseq(
        tmp_path,
        tmp_path / "ds.h5",
        tasks=["Dev", "Hk"],
        activity_columns=["Dev_log2_enrichment", "Hk_log2_enrichment"],
    )
    for split, sl in parts.items():
        np.testing.assert_array_equal(hdf5.read_split(tmp_path / "ds.h5", split).X, real_x[sl])


def test_reverse_complement_agrees_with_the_real_pairs(real_x):
    members = {x.tobytes() for x in real_x}
    rc = reverse_complement_onehot(real_x)
    assert all(r.tobytes() in members for r in rc)
    assert not np.array_equal(rc, real_x)


def test_simulator_composition_is_fly_like(real_x, tmp_path):
    real = real_x.reshape(-1, 4).mean(0)
    np.testing.assert_allclose(BACKGROUND, real, atol=0.01)
    simulate_starrseq(tmp_path, n_train=300, n_val=10, n_test=10, seed=0, p_negative=1.0)
    text = "".join((tmp_path / "Sequences_Train.fa").read_text().splitlines()[1::2])
    sim = np.array([text.count(b) for b in "ACGT"]) / len(text)
    np.testing.assert_allclose(sim, real, atol=0.01)
