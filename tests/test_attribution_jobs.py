"""The attribution metrics job (degu.jobs.attribution) against independent computations, and
the config checks of the attribution block."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.encoding import one_hot
from degu.jobs.attribution import MAPS_FORMAT, attribution_metrics_job

L, N_TEST, N_SEQ = 30, 12, 5
TASKS = ["Dev", "Hk"]


def _dataset(path, rng):
    seqs = ["".join(rng.choice(list("ACGT"), size=L)) for _ in range(N_TEST)]
    ids = np.array([f"rec{i}" for i in range(N_TEST)], dtype=object)
    y = rng.normal(size=(N_TEST, len(TASKS))).astype(np.float32)
    split = hdf5.Split(one_hot(seqs), y, ids)
    hdf5.write_dataset(path, {"Train": split, "Val": split, "Test": split}, TASKS, n_policy="zeros")
    return split


def _maps_file(path, seed, role, indices, maps, epistemic=None):
    arrays = {"background": np.arange(3)}
    info = {}
    for task in TASKS:
        arrays[f"{task}/indices"] = indices[task]
        arrays[f"{task}/saliency/mean"] = maps[task].astype(np.float16)
        info[f"{task}/saliency/mean"] = {
            "seconds_per_sequence": 0.01 * (seed + 1),
            "additivity_max_error": np.nan,
        }
        if epistemic is not None:
            arrays[f"{task}/saliency/epistemic"] = epistemic[task].astype(np.float16)
    hdf5.write_arrays(
        path,
        arrays,
        attrs={
            "format": MAPS_FORMAT,
            "role": role,
            "seed": seed,
            "tasks": json.dumps(TASKS),
            "methods": json.dumps(["saliency"]),
            "info": json.dumps(info),
        },
    )


@pytest.fixture
def run(tmp_path):
    rng = np.random.default_rng(0)
    split = _dataset(tmp_path / "dataset.h5", rng)
    indices = {t: np.argsort(-split.y[:, j], kind="stable")[:N_SEQ] for j, t in enumerate(TASKS)}
    # planted "GATA" (width 7, acts on Dev) at 3-9 and "Dref" (width 8, inert for Dev, acts on Hk) at 15-22
    truth = pd.DataFrame(
        {"split": "Test", "index": range(N_TEST), "id": split.ids, "motifs": "GATA:3:+;Dref:15:-"}
    )
    truth.to_csv(tmp_path / "ground_truth.tsv", sep="\t", index=False)
    groups = {}
    for role, seeds, spread in (("teacher", [0, 1, 2], 1.0), ("student", [1000, 1001, 1002], 0.3)):
        groups[role] = {}
        for s in seeds:
            maps = {t: rng.normal(scale=spread, size=(N_SEQ, L, 4)).astype(np.float32) for t in TASKS}
            for t in TASKS:
                maps[t][:, 3:10, :] += 2.0  # every model sees the Dev motif strongly
            # store what float16 keeps, so the independent computation sees the same numbers
            maps = {t: m.astype(np.float16).astype(np.float32) for t, m in maps.items()}
            epi = (
                {t: rng.normal(size=(N_SEQ, L, 4)).astype(np.float32) for t in TASKS}
                if role == "student"
                else None
            )
            path = tmp_path / f"{role}{s}.h5"
            _maps_file(path, s, role, indices, maps, epi)
            groups[role][s] = (path, maps)
    out = {k: tmp_path / f"{k}.csv" for k in ("metrics", "example", "motifs")}
    attribution_metrics_job(
        datasets={
            "sim": {
                "dataset_h5": tmp_path / "dataset.h5",
                "teachers": {s: p for s, (p, _) in groups["teacher"].items()},
                "students": {s: p for s, (p, _) in groups["student"].items()},
                "truth": {"tsv": tmp_path / "ground_truth.tsv", "assay": "starrseq", "cell_type": None},
            }
        },
        out_csv=out["metrics"],
        example_csv=out["example"],
        motifs_csv=out["motifs"],
    )
    return {
        "split": split,
        "indices": indices,
        "groups": groups,
        **{k: pd.read_csv(v) for k, v in out.items()},
    }


def _value(table, **where):
    sel = table
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, where
    return float(sel["value"].iloc[0])


def test_rmse_variability_and_tests_match_numpy(run):
    m = run["metrics"]
    assert list(m.columns) == [
        "dataset",
        "task",
        "method",
        "attribution",
        "seed",
        "sequence",
        "metric",
        "value",
    ]
    for task in TASKS:
        std = np.stack([maps[task] for _, maps in run["groups"]["teacher"].values()])
        dis = np.stack([maps[task] for _, maps in run["groups"]["student"].values()])
        ref = std.mean(axis=0)
        rmse = {
            "standard": [np.sqrt(((a - ref) ** 2).mean(axis=(1, 2))).mean() for a in std],
            "distilled": [np.sqrt(((a - ref) ** 2).mean(axis=(1, 2))).mean() for a in dis],
        }
        for group, seeds in (("standard", [0, 1, 2]), ("distilled", [1000, 1001, 1002])):
            for k, s in enumerate(seeds):
                got = _value(m, task=task, method=group, seed=s, metric="rmse")
                assert got == pytest.approx(rmse[group][k], rel=1e-5)
        for k, s in enumerate([0, 1, 2]):
            others = np.delete(std, k, axis=0).mean(axis=0)
            want = np.sqrt(((std[k] - others) ** 2).mean(axis=(1, 2))).mean()
            got = _value(m, task=task, method="standard", seed=s, metric="rmse_leave_one_out")
            assert got == pytest.approx(want, rel=1e-5) and got > rmse["standard"][k]
        assert not (m["metric"].eq("rmse_leave_one_out") & m["method"].eq("distilled")).any()
        var_s = np.sqrt(std.var(axis=0).sum(axis=(1, 2)))
        var_d = np.sqrt(dis.var(axis=0).sum(axis=(1, 2)))
        for i, seq in enumerate(run["indices"][task]):
            assert _value(
                m, task=task, method="standard", sequence=seq, metric="variability"
            ) == pytest.approx(var_s[i], rel=1e-5)
            assert _value(
                m, task=task, method="distilled", sequence=seq, metric="variability"
            ) == pytest.approx(var_d[i], rel=1e-5)
        t_ind = stats.ttest_ind(rmse["distilled"], rmse["standard"])
        p = _value(m, task=task, method="distilled_vs_standard", metric="rmse_p")
        assert p == pytest.approx(t_ind.pvalue, rel=1e-4)
        p_rel = stats.ttest_rel(var_d, var_s).pvalue
        assert _value(m, task=task, method="distilled_vs_standard", metric="variability_p") == pytest.approx(
            p_rel, rel=1e-4
        )
        # students were drawn with a third of the spread: lower RMSE and variability, significantly
        assert np.mean(rmse["distilled"]) < np.mean(rmse["standard"]) and t_ind.pvalue < 0.05


def test_normalised_metrics_divide_each_sequence_by_its_max(run):
    m = run["metrics"]
    task = "Dev"
    std = np.stack([maps[task] for _, maps in run["groups"]["teacher"].values()])
    norm = std / np.abs(std).max(axis=(2, 3), keepdims=True)
    ref = norm.mean(axis=0)
    want = np.sqrt(((norm[0] - ref) ** 2).mean(axis=(1, 2))).mean()
    assert _value(m, task=task, method="standard", seed=0, metric="rmse_normalized") == pytest.approx(
        want, rel=1e-5
    )


def test_planted_motif_recovery_uses_only_the_motifs_that_act_on_the_task(run):
    m, split = run["metrics"], run["split"]
    for task, (lo, hi) in (("Dev", (3, 10)), ("Hk", (15, 23))):
        idx = run["indices"][task]
        x = split.X[idx].astype(np.float32)
        _, maps = run["groups"]["teacher"][0]
        scores = np.abs((maps[task] * x).sum(axis=-1))
        labels = np.zeros(L, dtype=bool)
        labels[lo:hi] = True
        auroc = np.mean([roc_auc_score(labels, s) for s in scores])
        auprc = np.mean([average_precision_score(labels, s) for s in scores])
        assert _value(m, task=task, method="standard", seed=0, metric="auroc") == pytest.approx(
            auroc, rel=1e-5
        )
        assert _value(m, task=task, method="standard", seed=0, metric="auprc") == pytest.approx(
            auprc, rel=1e-5
        )
    # every map carries the Dev motif: recovered for Dev, not for Hk (whose motif is elsewhere)
    assert _value(m, task="Dev", method="ensemble", metric="auroc") > 0.9
    assert _value(m, task="Hk", method="ensemble", metric="auroc") < 0.7


def test_example_and_motif_tables(run):
    ex, motifs, split = run["example"], run["motifs"], run["split"]
    first = int(run["indices"]["Dev"][0])
    sel = ex[(ex["task"] == "Dev") & (ex["attribution"] == "saliency")]
    assert set(sel["panel"]) == {"standard", "distilled", "ensemble", "distilled_epistemic"}
    assert set(sel["sequence"]) == {first}
    std0 = sel[sel["panel"] == "standard"].sort_values("position")
    assert std0["seed"].iloc[0] == 0
    np.testing.assert_allclose(
        std0[list("ACGT")].to_numpy(), run["groups"]["teacher"][0][1]["Dev"][0], rtol=1e-5
    )
    seq = "".join("ACGT"[i] for i in split.X[first].argmax(axis=1))
    assert "".join(std0["base"]) == seq
    dev = motifs[motifs["task"] == "Dev"]
    assert dev[["motif", "start", "end", "strand"]].values.tolist() == [["GATA", 3, 10, "+"]]
    assert motifs[motifs["task"] == "Hk"][["motif", "start", "end"]].values.tolist() == [["Dref", 15, 23]]


def test_maps_of_other_sequences_are_refused(tmp_path, run):
    bad = tmp_path / "bad.h5"
    idx = {t: np.arange(N_SEQ) + 1 for t in TASKS}
    _maps_file(bad, 5, "teacher", idx, {t: np.zeros((N_SEQ, L, 4)) for t in TASKS})
    teachers = {s: p for s, (p, _) in run["groups"]["teacher"].items()} | {5: bad}
    with pytest.raises(DeguInputError, match="the maps of seed 5 explain other sequences for task Dev"):
        attribution_metrics_job(
            datasets={
                "sim": {
                    "dataset_h5": tmp_path / "dataset.h5",
                    "teachers": teachers,
                    "students": {s: p for s, (p, _) in run["groups"]["student"].items()},
                    "truth": None,
                }
            },
            out_csv=tmp_path / "m.csv",
            example_csv=tmp_path / "e.csv",
            motifs_csv=tmp_path / "mo.csv",
        )
    assert not (tmp_path / "m.csv").exists()


def test_a_file_that_is_not_a_maps_file_is_named(tmp_path):
    from degu.jobs.attribution import read_maps

    hdf5.write_arrays(tmp_path / "x.h5", {"a": np.zeros(2)}, attrs={"format": "something"})
    with pytest.raises(DeguInputError, match=r"x\.h5: not a degu-attribution/1 file"):
        read_maps(tmp_path / "x.h5")


def _config(**attr):
    from degu.config import load_yaml

    cfg = load_yaml("config/test.yaml")
    cfg["attribution"].update(attr)
    return cfg


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ({"datasets": ["nope"]}, "key 'attribution.datasets': no dataset named 'nope'"),
        (
            {"fraction": 0.5, "datasets": ["k562"]},
            "key 'datasets.k562.fractions': must contain 0.5 for attribution",
        ),
        (
            {"fig4_datasets": ["hepg2", "x"]},
            "key 'attribution.fig4_datasets': 'x' is not in attribution.datasets",
        ),
        ({"methods": ["integrated_gradients"]}, "attribution.methods"),
        (
            {"methods": ["saliency"]},
            "key 'attribution.fig4_method': 'deepshap' is not in attribution.methods ['saliency']",
        ),
    ],
)
def test_config_checks(attr, message):
    from pathlib import Path

    from degu.config import check_config

    schema = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
    with pytest.raises(DeguInputError) as err:
        check_config(_config(**attr), schema)
    assert message in str(err.value)


def test_a_bad_planted_instance_names_the_truth_file_and_record(tmp_path, run):
    truth = pd.read_csv(tmp_path / "ground_truth.tsv", sep="\t")
    truth.loc[int(run["indices"]["Dev"][2]), "motifs"] = "GATA:3:+;Nope:5:-"
    truth.to_csv(tmp_path / "bad_truth.tsv", sep="\t", index=False)
    rid = run["split"].ids[int(run["indices"]["Dev"][2])]
    with pytest.raises(DeguInputError) as err:
        attribution_metrics_job(
            datasets={
                "sim": {
                    "dataset_h5": tmp_path / "dataset.h5",
                    "teachers": {s: p for s, (p, _) in run["groups"]["teacher"].items()},
                    "students": {s: p for s, (p, _) in run["groups"]["student"].items()},
                    "truth": {"tsv": tmp_path / "bad_truth.tsv", "assay": "starrseq", "cell_type": None},
                }
            },
            out_csv=tmp_path / "m2.csv",
            example_csv=tmp_path / "e2.csv",
            motifs_csv=tmp_path / "mo2.csv",
        )
    assert str(err.value).startswith(
        f"{tmp_path / 'bad_truth.tsv'}: record '{rid}': motif instance 'Nope:5:-'"
    )
    assert "\n" not in str(err.value) and not (tmp_path / "m2.csv").exists()


def test_missing_maps_are_one_line_errors_naming_the_file(tmp_path, run):
    from degu.jobs.attribution import read_maps

    path, _ = run["groups"]["student"][1001]
    arrays = hdf5.read_arrays(path)
    attrs = hdf5.read_attrs(path)
    del arrays["Hk/saliency/mean"]
    hdf5.write_arrays(tmp_path / "short.h5", arrays, attrs=attrs)
    with pytest.raises(DeguInputError, match=r"short\.h5: missing Hk/saliency/mean$"):
        read_maps(tmp_path / "short.h5")
    attrs["methods"] = json.dumps(["saliency", "deepshap"])
    hdf5.write_arrays(tmp_path / "more.h5", hdf5.read_arrays(path), attrs=attrs)
    with pytest.raises(
        DeguInputError, match=r"more\.h5: missing Dev/deepshap/mean, info\['Dev/deepshap/mean'\]$"
    ):
        read_maps(tmp_path / "more.h5")
    del attrs["info"]
    hdf5.write_arrays(tmp_path / "noinfo.h5", hdf5.read_arrays(path), attrs=attrs)
    with pytest.raises(DeguInputError, match=r"noinfo\.h5: attribute 'info' missing$"):
        read_maps(tmp_path / "noinfo.h5")


def test_constant_adaptors_are_not_scored_for_planted_motifs(tmp_path):
    """lentiMPRA records carry constant adaptors: never motifs, and DeepSHAP gives them 0, so
    they would inflate the AUROC; only the positions that vary are scored."""
    rng = np.random.default_rng(5)
    a5, a3, n = "ACGTACGT", "TTGCA", 8
    body = L - len(a5) - len(a3)
    seqs = [a5 + "".join(rng.choice(list("ACGT"), size=body)) + a3 for _ in range(n)]
    ids = np.array([f"e{i}" for i in range(n)], dtype=object)
    y = rng.normal(size=(n, 1)).astype(np.float32)
    split = hdf5.Split(one_hot(seqs), y, ids)
    hdf5.write_dataset(
        tmp_path / "d.h5", {"Train": split, "Val": split, "Test": split}, ["K562"], n_policy="zeros"
    )
    pd.DataFrame({"name": ids, "instances": "GATA1:10:+"}).to_csv(tmp_path / "gt.tsv", sep="\t", index=False)
    idx = np.argsort(-y[:, 0], kind="stable")[:N_SEQ]
    paths = {}
    for role, seeds in (("teacher", [0, 1]), ("student", [1000, 1001])):
        for s in seeds:
            maps = rng.normal(size=(N_SEQ, L, 4)).astype(np.float32)
            maps[:, : len(a5)] = 0.0  # as DeepSHAP leaves the adaptors
            maps[:, L - len(a3) :] = 0.0
            maps[:, 10:18] += 1.0
            maps = maps.astype(np.float16).astype(np.float32)
            p = tmp_path / f"{role}{s}.h5"
            hdf5.write_arrays(
                p,
                {
                    "background": np.arange(2),
                    "K562/indices": idx,
                    "K562/saliency/mean": maps.astype(np.float16),
                },
                attrs={
                    "format": MAPS_FORMAT,
                    "tasks": json.dumps(["K562"]),
                    "methods": json.dumps(["saliency"]),
                    "info": json.dumps(
                        {"K562/saliency/mean": {"seconds_per_sequence": 0.1, "additivity_max_error": 0}}
                    ),
                },
            )
            paths.setdefault(role, {})[s] = (p, maps)
    out = tmp_path / "m.csv"
    attribution_metrics_job(
        datasets={
            "lenti": {
                "dataset_h5": tmp_path / "d.h5",
                "teachers": {s: p for s, (p, _) in paths["teacher"].items()},
                "students": {s: p for s, (p, _) in paths["student"].items()},
                "truth": {"tsv": tmp_path / "gt.tsv", "assay": "lentimpra", "cell_type": "K562"},
            }
        },
        out_csv=out,
        example_csv=tmp_path / "e.csv",
        motifs_csv=tmp_path / "mo.csv",
    )
    m = pd.read_csv(out)
    x = split.X[idx].astype(np.float32)
    labels = np.zeros(L, dtype=bool)
    labels[10:18] = True  # GATA1 is 8 wide
    inner = slice(len(a5), L - len(a3))
    scores = np.abs((paths["teacher"][0][1] * x).sum(axis=-1))
    want = np.mean([roc_auc_score(labels[inner], sc[inner]) for sc in scores])
    whole = np.mean([roc_auc_score(labels, sc) for sc in scores])
    got = _value(m, method="standard", seed=0, metric="auroc")
    assert got == pytest.approx(want, rel=1e-5) and abs(got - whole) > 1e-3


def test_truth_ids_are_read_from_the_test_split_and_must_be_unique(tmp_path):
    from degu.assays.simulate import planted_instances

    t = pd.DataFrame(
        {
            "split": ["Train", "Test", "Test"],
            "index": [0, 0, 1],
            "id": ["a", "a", "b"],
            "motifs": ["X:1:+", "Y:2:-", ""],
        }
    )
    t.to_csv(tmp_path / "gt.tsv", sep="\t", index=False)
    assert planted_instances(tmp_path / "gt.tsv", "starrseq", split="Test") == {"a": "Y:2:-", "b": ""}
    with pytest.raises(DeguInputError, match=r"gt\.tsv: record id 'a' occurs more than once$"):
        planted_instances(tmp_path / "gt.tsv", "starrseq")
