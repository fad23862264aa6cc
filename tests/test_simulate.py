import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from degu.assays.simulate import TASKS, activity_from_instances, default_fly_motifs, simulate_starrseq
from degu.cli import main as cli_main
from degu.errors import DeguInputError
from degu.io.encoding import reverse_complement
from degu.io.starrseq import read_split

COLS = ["Dev_log2_enrichment", "Hk_log2_enrichment"]
HEADER = re.compile(r"^>chr(2L|2R|3L|3R|X)_(\d+)_(\d+)_[+-]_(positive_peaks|negative)$")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("sim")
    simulate_starrseq(d, n_train=600, n_val=80, n_test=90, seed=3, noise_sd=0.3)
    return d


def test_writes_real_deepstarr_formats(sim):
    for split, n in (("Train", 600), ("Val", 80), ("Test", 90)):
        lines = (sim / f"Sequences_{split}.fa").read_text().splitlines()
        assert len(lines) == 2 * n  # single-line FASTA
        for h, s in zip(lines[::2], lines[1::2], strict=True):
            m = HEADER.match(h)
            assert m, h
            assert int(m.group(3)) - int(m.group(2)) + 1 == 249
            assert len(s) == 249 and set(s) <= set("ACGT")
        table = pd.read_csv(sim / f"Sequences_activity_{split}.txt", sep="\t")
        assert list(table.columns) == [
            f"{t}_log2_enrichment{suf}" for suf in ("", "_scaled", "_quantile_normalized") for t in TASKS
        ]
        assert len(table) == n and not table.isna().any().any()
        records, y = read_split(sim, split, COLS)  # the project's own parser accepts them
        assert y.shape == (n, 2)


def test_deterministic_for_seed(sim, tmp_path):
    simulate_starrseq(tmp_path / "a", n_train=600, n_val=80, n_test=90, seed=3, noise_sd=0.3)
    simulate_starrseq(tmp_path / "b", n_train=600, n_val=80, n_test=90, seed=4, noise_sd=0.3)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    for name in ("Sequences_Train.fa", "Sequences_activity_Test.txt", "ground_truth.tsv"):
        assert digest(sim / name) == digest(tmp_path / "a" / name)
        assert digest(sim / name) != digest(tmp_path / "b" / name)


def test_ground_truth_motifs_are_really_planted(sim):
    motifs = {m.name: m.pwm for m in default_fly_motifs()}
    truth = pd.read_csv(sim / "ground_truth.tsv", sep="\t", keep_default_na=False)
    seqs = {}
    for split in ("Train", "Val", "Test"):
        lines = (sim / f"Sequences_{split}.fa").read_text().splitlines()
        seqs[split] = lines[1::2]
    matched, total, n_instances = 0, 0, 0
    for row in truth.itertuples():
        seq = seqs[row.split][row.index]
        for inst in filter(None, row.motifs.split(";")):
            name, start, strand = inst.split(":")
            pwm = motifs[name]
            site = seq[int(start) : int(start) + len(pwm)]
            if strand == "-":
                site = reverse_complement(site)
            consensus = "".join("ACGT"[i] for i in pwm.argmax(1))
            matched += sum(a == b for a, b in zip(site, consensus, strict=True))
            total += len(pwm)
            n_instances += 1
    assert n_instances > 1000
    # PWM columns put 0.88 on the consensus; a wrong coordinate/strand would give ~0.25-0.3
    assert 0.84 < matched / total < 0.92


def test_noiseless_activity_and_noise_are_as_recorded(sim):
    widths = {m.name: len(m.pwm) for m in default_fly_motifs()}
    truth = pd.read_csv(sim / "ground_truth.tsv", sep="\t", keep_default_na=False)
    for row in truth.head(200).itertuples():
        inst = [
            (n, int(s), st, widths[n])
            for n, s, st in (i.split(":") for i in filter(None, row.motifs.split(";")))
        ]
        # on the sequence as written in the FASTA, so it follows from the recorded instances
        expect = activity_from_instances(inst, 249)
        assert expect["Dev"] == pytest.approx(row.Dev_noiseless, abs=2e-6)
        assert expect["Hk"] == pytest.approx(row.Hk_noiseless, abs=2e-6)
        assert (row.motifs == "") == row.id.endswith("negative")
    train = truth[truth.split == "Train"]
    y = pd.read_csv(sim / "Sequences_activity_Train.txt", sep="\t")
    resid = y["Dev_log2_enrichment"].to_numpy() - train["Dev_noiseless"].to_numpy()
    assert np.std(resid) == pytest.approx(0.3, rel=0.1)
    assert abs(np.mean(resid)) < 0.05
    # signal: planted grammar explains most of the variance
    assert train["Dev_noiseless"].var() > 3 * 0.09 and train["Hk_noiseless"].var() > 3 * 0.09


def test_cli(tmp_path, capsys):
    assert (
        cli_main(
            [
                "simulate",
                "starrseq",
                "--out",
                str(tmp_path),
                "--n-train",
                "20",
                "--n-val",
                "10",
                "--n-test",
                "10",
                "--seed",
                "1",
            ]
        )
        == 0
    )
    assert (tmp_path / "Sequences_activity_Val.txt").exists()
    assert "ground_truth.tsv" in capsys.readouterr().out


def test_large_splits_get_unique_ids(tmp_path):
    simulate_starrseq(tmp_path, n_train=10, n_val=20_050, n_test=10, seed=0, motif_rate=0.1)
    records, y = read_split(tmp_path, "Val", COLS)
    assert len(records) == 20_050 and len({r.id for r in records}) == 20_050


def test_bad_arguments_write_nothing(tmp_path):
    with pytest.raises(DeguInputError, match=r"every split needs at least one record, got \{'Test': 0\}"):
        simulate_starrseq(tmp_path / "out", n_train=10, n_val=10, n_test=0)
    with pytest.raises(DeguInputError, match="p_negative"):
        simulate_starrseq(tmp_path / "out", n_train=10, n_val=10, n_test=10, p_negative=1.5)
    assert not (tmp_path / "out").exists()
