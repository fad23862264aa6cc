"""ATAC-seq profile jobs (degu.jobs.profiles) and the ENCODE file choice (degu.assays.download):
the ensemble's bigWig tracks against hand-computed values, the students' dataset built from them,
whole-chromosome metrics against an independent computation, and bad metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest

from degu.assays.download import encode_manifest
from degu.assays.profiles import read_profile_rows
from degu.errors import DeguInputError
from degu.io import hdf5
from degu.io.bigwig import read_region

keras = pytest.importorskip("keras")

from test_profile_training import BIN, CROP, make_dataset  # noqa: E402

from degu.jobs.profiles import (  # noqa: E402
    dataset_job,
    ensemble_tracks_job,
    parse_bin_id,
    profile_metrics_job,
)

BINS = {"size": BIN, "test": ["chr8"], "val": ["chr9"], "exclude": ["chrY"], "exclude_contigs": True}


def teacher(tmp_path, k):
    """A per-position 'teacher': mean head = (k + 1) * A + 0.5, aleatoric head = C + k / 10."""
    model = keras.Sequential([keras.Input((CROP, 4)), keras.layers.Dense(2)])
    w = np.zeros((4, 2), np.float32)
    w[0, 0], w[1, 1] = k + 1, 1.0
    model.layers[0].set_weights([w, np.array([0.5, k / 10], np.float32)])
    path = tmp_path / f"teacher{k}.keras"
    model.save(path)
    return path


def test_ensemble_tracks_and_the_students_dataset(tmp_path):
    path, seqs = make_dataset(tmp_path)
    models = [teacher(tmp_path, k) for k in range(3)]
    out = {kind: [tmp_path / f"ens.{kind}.bw"] for kind in ("mean", "aleatoric", "epistemic")}
    assert ensemble_tracks_job(
        models=models, dataset_h5=path, genome=tmp_path / "genome.fa", crop=CROP, out=out
    ) == {
        "bins": 14  # 5 + 4 + 3 + 2 bins of chr1, chr2, chr8, chr9
    }
    for chrom, seq in seqs.items():
        a = np.array([c == "A" for c in seq], np.float64)
        c = np.array([b == "C" for b in seq], np.float64)
        means = np.stack([(k + 1) * a + 0.5 for k in range(3)])
        for kind, want in (
            ("mean", means.mean(0)),
            ("epistemic", means.std(0, ddof=0)),
            ("aleatoric", c + 0.1),  # mean over k of k/10 = 0.1
        ):
            np.testing.assert_allclose(read_region(out[kind][0], chrom), want, rtol=1e-5, atol=1e-6)
    # the students' dataset: the same bins, targets = the ensemble's tracks
    student = tmp_path / "student.h5"
    dataset_job(
        genome=tmp_path / "genome.fa",
        tracks={"y": out["mean"], "aleatoric": out["aleatoric"], "epistemic": out["epistemic"]},
        tasks=["T"],
        bins={**BINS, "missing_value": None},
        out=student,
    )
    for split in ("Train", "Val", "Test"):
        s, t = read_profile_rows(student, split), read_profile_rows(path, split)
        assert s["ids"].tolist() == t["ids"].tolist()
        np.testing.assert_array_equal(s["X"], t["X"])
        a = (s["X"][..., 0] == 1).astype(np.float64)
        np.testing.assert_allclose(s["y"][..., 0], 2 * a + 0.5, rtol=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        ensemble_tracks_job(
            models=models[:1], dataset_h5=path, genome=tmp_path / "genome.fa", crop=CROP, out=out
        )


def write_pred(path, ids, pred, heads, seed, role="teacher"):
    hdf5.write_arrays(
        path,
        {"Test/pred": pred.astype(np.float32), "Test/ids": np.asarray(ids, dtype=object)},
        attrs={"tasks": json.dumps(["T"]), "heads": json.dumps(heads), "seed": seed, "role": role},
    )


def test_metrics_are_whole_chromosome_pearson(tmp_path):
    path, _ = make_dataset(
        tmp_path, chroms={"chr1": 4 * BIN, "chr3": 2 * BIN, "chr8": 3 * BIN, "chr9": 2 * BIN}
    )
    # chr3 and chr8 both test chromosomes: r over every position of every test bin
    dataset_job(
        genome=tmp_path / "genome.fa",
        tracks={"y": [tmp_path / "mean.bw"], "aleatoric": [tmp_path / "std.bw"]},
        tasks=["T"],
        bins={**BINS, "test": ["chr8", "chr3"], "missing_value": 0.0},
        out=tmp_path / "two.h5",
    )
    data = read_profile_rows(tmp_path / "two.h5", "Test")
    ids = data["ids"].astype(str)
    rng = np.random.default_rng(0)
    a = (BIN - CROP) // 2
    obs_mean, obs_std = data["y"][:, a : a + CROP, 0], data["aleatoric"][:, a : a + CROP, 0]
    teachers, students, stored = {}, {}, {}
    for s in (0, 1, 2):
        p = rng.gamma(2.0, 1.0, (len(ids), CROP, 2))
        teachers[s] = tmp_path / f"t{s}.h5"
        write_pred(teachers[s], ids, p, ["mean", "aleatoric"], s)
        stored[s] = p.astype(np.float32).astype(np.float64)
    q = rng.gamma(2.0, 1.0, (len(ids), CROP, 3))
    students[1000] = tmp_path / "s.h5"
    write_pred(students[1000], ids, q, ["mean", "aleatoric", "epistemic"], 1000, "student")
    q = q.astype(np.float32).astype(np.float64)
    table = profile_metrics_job(
        dataset="sim",
        dataset_h5=tmp_path / "two.h5",
        teachers=teachers,
        students=students,
        crop=CROP,
        out_csv=tmp_path / "m.csv",
    )
    assert sorted({i.split(":")[0] for i in ids}) == ["chr3", "chr8"]

    def r(x, y):
        return np.corrcoef(np.ravel(x), np.ravel(y))[0, 1]

    def got(method, head, seed=None):
        sel = table[(table["method"] == method) & (table["head"] == head)]
        sel = sel[sel["seed"].isna()] if seed is None else sel[sel["seed"] == seed]
        assert len(sel) == 1
        return sel["value"].iloc[0]

    assert got("standard", "mean", 1) == pytest.approx(r(stored[1][..., 0], obs_mean), abs=1e-9)
    assert got("standard", "aleatoric", 2) == pytest.approx(r(stored[2][..., 1], obs_std), abs=1e-9)
    ens = np.mean([stored[s] for s in (0, 1, 2)], axis=0)
    ens_std = np.std([stored[s][..., 0] for s in (0, 1, 2)], axis=0)
    assert got("ensemble", "mean") == pytest.approx(r(ens[..., 0], obs_mean), abs=1e-9)
    assert got("distilled", "epistemic", 1000) == pytest.approx(r(q[..., 2], ens_std), abs=1e-9)
    assert set(table["n_positions"]) == {len(ids) * CROP}
    # with the students' dataset, their epistemic head is scored against its epistemic track
    dataset_job(
        genome=tmp_path / "genome.fa",
        tracks={
            "y": [tmp_path / "mean.bw"],
            "aleatoric": [tmp_path / "std.bw"],
            "epistemic": [tmp_path / "std.bw"],
        },
        tasks=["T"],
        bins={**BINS, "test": ["chr8", "chr3"], "missing_value": 0.0},
        out=tmp_path / "students.h5",
    )
    with_targets = profile_metrics_job(
        dataset="sim",
        dataset_h5=tmp_path / "two.h5",
        student_dataset_h5=tmp_path / "students.h5",
        teachers=teachers,
        students=students,
        crop=CROP,
    )
    row = with_targets[(with_targets["method"] == "distilled") & (with_targets["head"] == "epistemic")]
    assert row["value"].item() == pytest.approx(r(q[..., 2], obs_std), abs=1e-9)
    assert (tmp_path / "m.csv").read_text().splitlines()[
        0
    ] == "dataset,method,seed,task,head,metric,value,n_positions"
    # predictions of other bins are refused
    write_pred(tmp_path / "bad.h5", ids[::-1], stored[0], ["mean", "aleatoric"], 9)
    with pytest.raises(DeguInputError, match=r"bad\.h5: its test bins differ"):
        profile_metrics_job(
            dataset="sim",
            dataset_h5=tmp_path / "two.h5",
            teachers={**teachers, 9: tmp_path / "bad.h5"},
            students={},
            crop=CROP,
        )


def test_bin_ids():
    assert parse_bin_id("chr1:0-3072") == ("chr1", 0, 3072)
    with pytest.raises(DeguInputError, match=r"^f\.h5: bin id 'chr1:0_3072' is not 'chrom:start-end'$"):
        parse_bin_id("chr1:0_3072", "f.h5")


def encode_file(acc, rep, **kw):
    f = {
        "accession": acc,
        "status": "released",
        "output_type": "fold change over control",
        "assembly": "GRCh38",
        "file_format": "bigWig",
        "biological_replicates": [rep] if isinstance(rep, int) else rep,
        "md5sum": f"{rep if isinstance(rep, int) else 9:032x}",
        "href": f"/files/{acc}/@@download/{acc}.bigWig",
    }
    return {**f, **kw}


def test_encode_replicates_are_chosen_from_the_metadata():
    meta = {
        "accession": "ENCSR032RGS",
        "files": [
            encode_file("ENCFF003", 3),
            encode_file("ENCFF001", 1),
            encode_file("ENCFF002", 2),
            encode_file("ENCFF0P", [1, 2, 3]),  # pooled
            encode_file("ENCFF0A", 1, status="archived"),
            encode_file("ENCFF0H", 1, assembly="hg19"),
            encode_file("ENCFF0S", 2, output_type="signal p-value"),
            encode_file("ENCFF0B", 2, file_format="bed"),
            encode_file("ENCFF002old", 2, preferred_default=False),
        ],
    }
    meta["files"][2]["preferred_default"] = True
    table = encode_manifest(meta, experiment="ENCSR032RGS")
    assert table["file"].tolist() == ["rep1.bw", "rep2.bw", "rep3.bw"]
    assert table["accession"].tolist() == ["ENCFF001", "ENCFF002", "ENCFF003"]
    assert table["url"][0] == "https://www.encodeproject.org/files/ENCFF001/@@download/ENCFF001.bigWig"
    assert table["md5"][1] == f"{2:032x}"
    # two equally good files for one replicate: an error naming them
    meta["files"][2]["preferred_default"] = False
    with pytest.raises(DeguInputError) as e:
        encode_manifest(meta, experiment="ENCSR032RGS", where="meta.json")
    assert str(e.value) == (
        "meta.json: ENCSR032RGS has 3 biological replicate(s) with a released 'fold change over control' "
        "bigWig on GRCh38 ({1: ['ENCFF001'], 2: ['ENCFF002', 'ENCFF002old'], 3: ['ENCFF003']}); "
        "expected 3 with one file each"
    )
    with pytest.raises(DeguInputError, match="accession is 'ENCSR032RGS', expected 'ENCSR000AAA'"):
        encode_manifest(meta, experiment="ENCSR000AAA")
    with pytest.raises(DeguInputError, match="has 0 biological replicate"):
        encode_manifest({"accession": "ENCSR032RGS", "files": []}, experiment="ENCSR032RGS")


def profile_bundle(tmp_path, dataset_h5, k):
    from degu.jobs.profiles import write_profile_metadata

    d = tmp_path / f"bundle{k}"
    d.mkdir()
    model = teacher(tmp_path, k)
    model.rename(d / "model.keras")
    write_profile_metadata(
        d / "degu.json",
        model_path=d / "model.keras",
        dataset_h5=dataset_h5,
        tasks=["T"],
        heads=["mean", "aleatoric"],
        crop=CROP,
        model_params={},
        source={"run": None, "dataset": "sim", "role": "teacher", "seed": k},
    )
    return d


def test_predict_bigwig_tracks_of_bed_regions(tmp_path, capsys):
    from degu.cli import main

    path, seqs = make_dataset(tmp_path)
    bundles = [profile_bundle(tmp_path, path, k) for k in (0, 2)]
    bed = tmp_path / "regions.bed"
    # a region shorter than the window, one at a chromosome's end, one longer than two windows
    bed.write_text("track name=x\nchr2\t40\t48\tlast\nchr1\t3\t6\nchr1\t10\t29\n")
    assert (
        main(
            [
                "predict",
                "--model",
                str(bundles[0]),
                "--bed",
                str(bed),
                "--fasta",
                str(tmp_path / "genome.fa"),
                "--bigwig",
                str(tmp_path / "one"),
            ]
        )
        == 0
    )
    assert "3 regions (30 bp)" in capsys.readouterr().err
    for chrom, start, end in (("chr1", 3, 6), ("chr1", 10, 29), ("chr2", 40, 48)):
        a = np.array([c == "A" for c in seqs[chrom][start:end]], np.float64)
        c = np.array([b == "C" for b in seqs[chrom][start:end]], np.float64)
        np.testing.assert_allclose(
            read_region(tmp_path / "one.mean.bw", chrom, start, end), a + 0.5, rtol=1e-5
        )
        np.testing.assert_allclose(
            read_region(tmp_path / "one.aleatoric.bw", chrom, start, end), c, atol=1e-6
        )
    assert np.isnan(read_region(tmp_path / "one.mean.bw", "chr1", 6, 10)).all()  # between regions: no data
    assert not (tmp_path / "one.epistemic.bw").exists()
    # two models: the ensemble's mean, epistemic and aleatoric tracks
    argv = [
        "predict",
        "--bed",
        str(bed),
        "--fasta",
        str(tmp_path / "genome.fa"),
        "--bigwig",
        str(tmp_path / "ens"),
    ]
    assert main([*argv, "--model", str(bundles[0]), "--model", str(bundles[1])]) == 0
    a = np.array([c == "A" for c in seqs["chr1"][10:29]], np.float64)
    np.testing.assert_allclose(
        read_region(tmp_path / "ens.epistemic.bw", "chr1", 10, 29),
        np.std([a + 0.5, 3 * a + 0.5], 0),
        atol=1e-6,
    )
    np.testing.assert_allclose(read_region(tmp_path / "ens.mean.bw", "chr1", 10, 29), 2 * a + 0.5, rtol=1e-5)
    # bad input: one line naming the file and line
    bed.write_text("chr1\t3\t20\nchr1\t10\t29\n")
    assert main([*argv, "--model", str(bundles[0])]) == 2
    assert (
        capsys.readouterr().err.strip().endswith(f"{bed}:2: region chr1:10-29 overlaps the region of line 1")
    )
    bed.write_text("chrX\t3\t20\n")
    assert main([*argv, "--model", str(bundles[0])]) == 2
    assert f"{bed}:1: chromosome 'chrX' is not in the genome FASTA" in capsys.readouterr().err
    assert main(["predict", "--model", str(bundles[0]), "--bed", str(bed)]) == 2
    assert "give --input (sequences), or --bed, --fasta and --bigwig together" in capsys.readouterr().err


def test_window_tiling():
    from degu.predict_profiles import window_starts

    assert window_starts(10, 29, 8, 48) == [10, 18, 21]  # edge to edge, the last ends at the end
    assert window_starts(3, 6, 8, 48) == [1]  # a short region: the window centred on it
    assert window_starts(0, 3, 8, 48) == [0]  # shifted inside the chromosome
    assert window_starts(44, 48, 8, 48) == [40]
    with pytest.raises(DeguInputError, match=r"^r\.bed:3: chrM: the chromosome \(5 bp\) is shorter than"):
        window_starts(0, 5, 8, 5, "r.bed:3: chrM")
