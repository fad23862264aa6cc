"""The non-neural reference: k-mer counts, ridge fitted with k and alpha chosen on Val."""


import numpy as np
import pytest
from scipy import sparse

from degu.io import hdf5
from degu.kmer import kmer_counts, kmer_ridge_job, select_and_fit
from degu.splits import write_subsets

BASES = "ACGT"


def random_onehot(rng, n, length, p_n=0.0):
    codes = rng.integers(0, 4, size=(n, length))
    X = np.eye(4, dtype=np.uint8)[codes]
    X[rng.random((n, length)) < p_n] = 0  # N = all-zero row
    return X


def decode(x):
    return "".join(BASES[int(np.argmax(r))] if r.sum() else "N" for r in x)


def brute_counts(X, k, both_strands=False):
    comp = str.maketrans("ACGTN", "TGCAN")
    out = np.zeros((len(X), 4**k))
    for i, x in enumerate(X):
        seqs = [decode(x)]
        if both_strands:
            seqs.append(seqs[0].translate(comp)[::-1])
        for s in seqs:
            for j in range(len(s) - k + 1):
                w = s[j : j + k]
                if "N" not in w:
                    out[i, int("".join(str(BASES.index(b)) for b in w), 4)] += 1
    return out


@pytest.mark.parametrize("both_strands", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_kmer_counts_match_brute_force(k, both_strands):
    rng = np.random.default_rng(k)
    X = random_onehot(rng, 7, 23, p_n=0.1)
    X[0, :] = 0  # an all-N sequence: no k-mer
    X[1, 5] = 0
    expected = brute_counts(X, k, both_strands)
    for dense in (True, False):
        got = kmer_counts(X, k, both_strands=both_strands, dense=dense)
        assert got.dtype == np.float32 and got.shape == (7, 4**k)
        assert sparse.issparse(got) != dense
        np.testing.assert_array_equal(got.toarray() if not dense else got, expected)
    assert expected[0].sum() == 0


def test_kmer_counts_short_sequences():
    X = random_onehot(np.random.default_rng(0), 3, 3)
    assert kmer_counts(X, 4).sum() == 0 and kmer_counts(X, 3).sum() == 3


def cg_counts(X):
    s = kmer_counts(X, 2, dense=True)
    return s[:, BASES.index("C") * 4 + BASES.index("G")]


def write_toy_dataset(path, rng, n_train=400, n_val=120, length=40):
    """Train/Val targets = CG-dinucleotide count (+ noise); Test = the Val sequences with the
    targets negated, so the grid point a test-set search would pick is the worst on Val."""
    X_tr, X_va = random_onehot(rng, n_train, length, 0.02), random_onehot(rng, n_val, length, 0.02)
    y_tr = cg_counts(X_tr) + rng.normal(0, 0.7, n_train)
    y_va = cg_counts(X_va) + rng.normal(0, 0.7, n_val)
    two = lambda y: np.stack([y, 0.5 * y + rng.normal(0, 0.5, len(y))], axis=1)  # noqa: E731
    y_tr, y_va = two(y_tr), two(y_va)
    splits = {
        "Train": hdf5.Split(X_tr, y_tr, np.array([f"t{i}" for i in range(n_train)])),
        "Val": hdf5.Split(X_va, y_va, np.array([f"v{i}" for i in range(n_val)])),
        "Test": hdf5.Split(X_va, -y_va, np.array([f"s{i}" for i in range(n_val)])),
    }
    hdf5.write_dataset(path, splits, ["t1", "t2"], n_policy="zeros")
    return splits


def test_grid_is_chosen_on_validation_not_test(tmp_path):
    rng = np.random.default_rng(1)
    s = write_toy_dataset(tmp_path / "d.h5", rng)
    ks, alphas = [1, 2, 3], [0.01, 100.0, 1e5]
    best, grid = select_and_fit(s["Train"].X, s["Train"].y, s["Val"].X, s["Val"].y, ks, alphas)
    r = [g["val_pearson"] for g in grid]
    assert len(grid) == 9 and len(set(np.round(r, 10))) > 1
    assert (best["k"], best["alpha"]) == (grid[int(np.argmax(r))]["k"], grid[int(np.argmax(r))]["alpha"])
    assert best["k"] >= 2  # the CG count needs 2-mers
    on_test, _ = select_and_fit(s["Train"].X, s["Train"].y, s["Test"].X, s["Test"].y, ks, alphas)
    assert (on_test["k"], on_test["alpha"]) != (best["k"], best["alpha"])
    # the job makes the validation choice
    write_subsets(tmp_path / "sub.h5", len(s["Train"].y), [0.5, 1.0], seed=0)
    info = kmer_ridge_job(
        dataset_h5=tmp_path / "d.h5",
        subsets_h5=tmp_path / "sub.h5",
        fraction="1.0",
        out_predictions=tmp_path / "k.h5",
        ks=ks,
        alphas=alphas,
    )
    assert (info["k"], info["alpha"]) == (best["k"], best["alpha"])
