import numpy as np
import pytest
from scipy import stats

from degu.uq.distill import DistillationLoss, student_targets
from degu.uq.ensemble import ensemble_stats
from degu.uq.metrics import mean_ci, regression_metrics, tidy_rows


def test_ensemble_stats_match_numpy_population_std():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(10, 50, 2))
    mean, std = ensemble_stats(p)
    np.testing.assert_allclose(mean, p.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(std, p.std(axis=0, ddof=0), rtol=1e-5)
    assert not np.allclose(std, p.std(axis=0, ddof=1))


def test_ensemble_stats_hand_example():
    p = np.array([[[1.0]], [[3.0]]])  # two members, one sequence, one task
    mean, std = ensemble_stats(p)
    assert mean[0, 0] == 2.0 and std[0, 0] == 1.0


def test_ensemble_needs_two_members():
    with pytest.raises(ValueError, match="at least 2 members"):
        ensemble_stats(np.zeros((1, 3, 2)))


def test_distillation_loss_against_hand_computation():
    # 2 sequences, 2 tasks: columns [mean_Dev, mean_Hk, std_Dev, std_Hk]
    y_true = np.array([[1.0, 2.0, 0.5, 0.1], [0.0, -1.0, 0.2, 0.3]], dtype=np.float32)
    y_pred = np.array([[2.0, 2.0, 0.0, 0.1], [0.0, 1.0, 0.2, 0.6]], dtype=np.float32)
    # mean head squared errors: (1, 0), (0, 4) -> MSE 1.25 ; std head: (0.25, 0), (0, 0.09) -> 0.085
    for lam in (1.0, 0.5, 3.0):
        loss = float(DistillationLoss(2, head_weights=(1.0, lam))(y_true, y_pred))
        assert loss == pytest.approx(1.25 + lam * 0.085, rel=1e-6)


def test_distillation_loss_serialises():
    loss = DistillationLoss(3, head_weights=(1.0, 2.0))
    clone = DistillationLoss.from_config(loss.get_config())
    assert clone.n_tasks == 3 and clone.head_weights == (1.0, 2.0)


def test_student_targets_layout():
    mean = np.array([[1, 2], [3, 4]])
    std = np.array([[5, 6], [7, 8]])
    np.testing.assert_array_equal(student_targets(mean, std), [[1, 2, 5, 6], [3, 4, 7, 8]])
    with pytest.raises(ValueError, match="same shape"):
        student_targets(mean, std[:, :1])


def test_regression_metrics_independent():
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    p = y + rng.normal(scale=0.5, size=200)
    m = regression_metrics(y, p)
    assert m["mse"] == pytest.approx(np.mean((y - p) ** 2))
    assert m["pearson"] == pytest.approx(np.corrcoef(y, p)[0, 1])
    ranks = lambda v: np.argsort(np.argsort(v))  # noqa: E731 (no ties in continuous data)
    assert m["spearman"] == pytest.approx(np.corrcoef(ranks(y), ranks(p))[0, 1])


def test_tidy_rows_columns():
    y = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.5]])
    rows = tidy_rows("d", 0.5, "standard", 3, ["Dev", "Hk"], y, y)
    assert len(rows) == 6
    assert rows[0] == {
        "dataset": "d",
        "fraction": 0.5,
        "method": "standard",
        "seed": 3,
        "task": "Dev",
        "metric": "mse",
        "value": 0.0,
    }


def test_mean_ci_t_interval_by_hand():
    v = [0.5, 0.6, 0.7]
    m, lo, hi = mean_ci(v)
    half = 4.302652729911275 * 0.1 / np.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n)
    assert m == pytest.approx(0.6) and lo == pytest.approx(0.6 - half) and hi == pytest.approx(0.6 + half)
    assert stats.t.ppf(0.975, 2) == pytest.approx(4.302652729911275)
    assert mean_ci([0.4]) == (0.4, 0.4, 0.4)
