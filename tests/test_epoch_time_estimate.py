"""The device-hour arithmetic of benchmarks/epoch_time.py (no measurement, no Snakemake)."""

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import epoch_time  # noqa: E402

CONFIG = {
    "teachers": {"n": 10},
    "uncertainty": {"mc_dropout_passes": 100},
    "datasets": {"deepstarr": {"architecture": "deepstarr"}},
}
RATES = {"deepstarr": {"train_seq_s": 1000.0, "predict_seq_s": 4000.0}}


def test_estimate_prices_each_kind_of_job(monkeypatch):
    monkeypatch.setitem(epoch_time.SIZES, "deepstarr", (400_000, 40_000, 40_000))
    wc = {"dataset": "deepstarr", "fraction": "0.5"}
    jobs = [
        ("train_teacher", wc),
        ("train_teacher", wc),
        ("ensemble_labels", wc),
        ("mc_dropout", wc),
        ("prepare", {}),
    ]
    est = epoch_time.estimate(jobs, RATES, CONFIG, mean_epochs=10, overhead_s=60)
    # 10 epochs x (200,000 / 1000 + 40,000 / 4000) s + 80,000 / 4000 s + 60 s per teacher
    assert est["train_teacher"] == (2, pytest.approx(2 * (10 * (200 + 10) + 20 + 60) / 3600))
    assert est["ensemble_labels"] == (1, pytest.approx((10 * 280_000 / 4000 + 60) / 3600))
    assert est["mc_dropout"] == (1, pytest.approx((100 * 80_000 / 4000 + 60) / 3600))
    assert "prepare" not in est  # CPU-only jobs are not priced


def test_every_paper_dataset_has_a_size():
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert set(cfg["datasets"]) <= set(epoch_time.SIZES)


def test_estimate_prices_robustness_jobs(monkeypatch):
    monkeypatch.setitem(epoch_time.SIZES, "deepstarr", (400_000, 40_000, 40_000))
    cfg = {
        **CONFIG,
        "evoaug": {"finetune": {"epochs": 5}},
        "robustness": {"oracle": {"n": 4}, "n_students": 3, "shifts": {"small": {}, "large": {}}},
    }
    wc = {"dataset": "deepstarr", "fraction": "1.0"}
    jobs = [
        ("train_evoaug_teacher", wc),
        ("train_dynamic_student", {**wc, "scheme": "shuffle"}),
        ("ensemble_labels", {**wc, "ensemble": "evoaug_ensemble"}),
        ("ensemble_labels", {**wc, "ensemble": "ensemble_k25"}),
        ("shifted_test_sets", {"dataset": "deepstarr"}),
        ("ood_predict", {"dataset": "deepstarr", "procedure": "dynamic_shuffle"}),
    ]
    est = epoch_time.estimate(jobs, RATES, cfg, mean_epochs=10, overhead_s=0)
    per_epoch = 400 + 10  # 400,000 / 1000 + 40,000 / 4000 s
    assert est["train_evoaug_teacher"][1] == pytest.approx((15 * per_epoch + 20) / 3600)  # + 5 fine-tune
    # the 4 oracle members label every training sequence of every epoch
    assert est["train_dynamic_student"][1] == pytest.approx((10 * (per_epoch + 4 * 100) + 20) / 3600)
    assert est["ensemble_labels"] == (2, pytest.approx((4 + 25) * 480_000 / 4000 / 3600))
    assert est["shifted_test_sets"][1] == pytest.approx(4 * 3 * 10 / 3600)  # none + 2 shifts
    assert est["ood_predict"][1] == pytest.approx(3 * 3 * 10 / 3600)
