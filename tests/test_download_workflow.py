"""The paper config's download path through Snakemake, against a local HTTP server."""

import functools
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import h5py
import pytest
import yaml
from conftest import REPO, run_snakemake

from degu.assays.simulate import simulate_starrseq

FILES = [f"Sequences_{s}.fa" for s in ("Train", "Val", "Test")] + [
    f"Sequences_activity_{s}.txt" for s in ("Train", "Val", "Test")
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("srv")
    simulate_starrseq(root, n_train=60, n_val=20, n_test=20, seed=5)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def make_config(tmp_path, root, url, run, corrupt=None):
    lines = ["file\turl\tmd5\tzenodo_record"]
    for name in FILES:
        md5 = hashlib.md5((root / name).read_bytes()).hexdigest()
        if name == corrupt:
            md5 = "0" * 32
        lines.append(f"{name}\t{url}/{name}\t{md5}\t")
    manifest = tmp_path / f"{run}.tsv"
    manifest.write_text("\n".join(lines) + "\n")
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["run"] = run
    ds = cfg["datasets"]["deepstarr"]
    del ds["simulate"]
    ds.update(source="download", manifest=str(manifest))
    path = tmp_path / f"{run}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_download_rule_fetches_verifies_and_feeds_prepare(served, tmp_path):
    root, url = served
    cfg = make_config(tmp_path, root, url, "dl")
    target = "results/dl/data/deepstarr/dataset.h5"
    res = run_snakemake(["--cores", "2", "--configfile", str(cfg), "--directory", str(tmp_path), target])
    assert res.returncode == 0, res.stderr[-3000:]
    raw = tmp_path / "results" / "dl" / "data" / "deepstarr" / "raw"
    for name in FILES:
        assert (raw / name).read_bytes() == (root / name).read_bytes()
    assert (
        "verified=True"
        in (tmp_path / "results/dl/logs/download/deepstarr/Sequences_Train.fa.log").read_text()
    )
    with h5py.File(tmp_path / target) as f:
        assert f["Train/X"].shape == (60, 249, 4) and f["Test/y"].shape == (20, 2)


def test_checksum_failure_is_reported_and_leaves_no_file(served, tmp_path):
    root, url = served
    cfg = make_config(tmp_path, root, url, "bad", corrupt="Sequences_Val.fa")
    res = run_snakemake(
        [
            "--cores",
            "1",
            "--configfile",
            str(cfg),
            "--directory",
            str(tmp_path),
            "results/bad/data/deepstarr/raw/Sequences_Val.fa",
        ]
    )
    assert res.returncode != 0
    log = (tmp_path / "results/bad/logs/download/deepstarr/Sequences_Val.fa.log").read_text()
    assert f"md5 mismatch for Sequences_Val.fa: expected {'0' * 32}" in log
    raw = tmp_path / "results" / "bad" / "data" / "deepstarr" / "raw"
    assert not raw.exists() or list(raw.iterdir()) == []
