"""Download path against a local HTTP server on 127.0.0.1 (no internet needed)."""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from degu.assays.download import DownloadError, fetch, fetch_from_manifest, read_manifest, zenodo_md5
from degu.errors import DeguInputError

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    calls: list = []
    drop_first = 0  # drop the connection after this many bytes on the first full request
    ignore_range = False

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.calls.append((self.path, self.headers.get("Range")))
        if self.path.startswith("/api/records/42"):
            body = json.dumps({"files": [{"key": "data.bin", "checksum": f"md5:{MD5}"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/bigZips/md5sum.txt"):
            body = f"0123456789abcdef0123456789abcdef  other.fa.gz\n{MD5}  data.bin\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/missing"):
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and not Handler.ignore_range:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if Handler.drop_first and not rng:
            self.wfile.write(body[: Handler.drop_first])
            self.wfile.flush()
            self.connection.shutdown(2)  # truncated transfer
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    Handler.calls, Handler.drop_first, Handler.ignore_range = [], 0, False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_plain_download_verified(server, tmp_path):
    dest = tmp_path / "data.bin"
    assert fetch(f"{server}/data.bin", dest, MD5, backoff=0) == MD5
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "data.bin.part").exists()


def test_truncated_transfer_is_resumed_with_range(server, tmp_path):
    Handler.drop_first = 300_000
    dest = tmp_path / "data.bin"
    fetch(f"{server}/data.bin", dest, MD5, backoff=0)
    assert dest.read_bytes() == PAYLOAD
    ranges = [r for _, r in Handler.calls]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and int(ranges[1][6:-1]) > 0


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    Handler.drop_first, Handler.ignore_range = 300_000, True
    dest = tmp_path / "data.bin"
    fetch(f"{server}/data.bin", dest, MD5, backoff=0, retries=2)
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    dest = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="md5 mismatch for data.bin: expected 0+, got " + MD5):
        fetch(f"{server}/data.bin", dest, "0" * 32, backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_not_retried_and_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404; not retrying"):
        fetch(f"{server}/missing", tmp_path / "x", None, backoff=0)
    assert len(Handler.calls) == 1 and list(tmp_path.iterdir()) == []


def test_unreachable_server_gives_up_after_retries(tmp_path):
    with pytest.raises(DownloadError, match="giving up after 2 attempts"):
        fetch("http://127.0.0.1:9/x", tmp_path / "x", None, backoff=0, retries=2, timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_manifest_with_zenodo_checksum(server, tmp_path, monkeypatch):
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"file\turl\tmd5\tzenodo_record\ndata.bin\t{server}/files/data.bin\t\t42\n")
    assert zenodo_md5("42", "data.bin", api=f"{server}/api/records/") == MD5
    monkeypatch.setenv("DEGU_ZENODO_API", f"{server}/api/records/")
    out = tmp_path / "out" / "data.bin"
    fetch_from_manifest(manifest, "data.bin", out, backoff=0)
    assert out.read_bytes() == PAYLOAD


def test_manifest_with_checksum_listing(server, tmp_path):
    """UCSC-style: the md5 comes from the server's md5sum.txt (the hg19 genome manifest)."""
    manifest = tmp_path / "m.tsv"
    manifest.write_text(
        "file\turl\tmd5\tzenodo_record\tmd5_list\n"
        f"data.bin\t{server}/files/data.bin\t\t\t{server}/bigZips/md5sum.txt\n"
        f"absent.bin\t{server}/files/data.bin\t\t\t{server}/bigZips/md5sum.txt\n"
    )
    out = tmp_path / "out" / "data.bin"
    fetch_from_manifest(manifest, "data.bin", out, backoff=0)
    assert out.read_bytes() == PAYLOAD
    with pytest.raises(DownloadError, match=r"md5sum.txt has no line for 'absent.bin'"):
        fetch_from_manifest(manifest, "absent.bin", tmp_path / "absent.bin", backoff=0)
    assert not (tmp_path / "absent.bin").exists()


def test_shipped_genome_manifest_is_well_formed(repo):
    m = read_manifest(repo / "resources" / "manifests" / "hg19_ucsc.tsv")
    assert list(m.index) == ["hg19.fa.gz"]
    assert (
        m.loc["hg19.fa.gz", "md5_list"]
        == "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/bigZips/md5sum.txt"
    )


def test_shipped_manifest_is_well_formed(repo):
    m = read_manifest(repo / "resources" / "manifests" / "deepstarr_zenodo_5502060.tsv")
    assert sorted(m.index) == sorted(
        [f"Sequences_{s}.fa" for s in ("Train", "Val", "Test")]
        + [f"Sequences_activity_{s}.txt" for s in ("Train", "Val", "Test")]
    )
    assert all(u.startswith("https://zenodo.org/records/5502060/files/") for u in m["url"])


def test_bad_manifest(tmp_path):
    p = tmp_path / "m.tsv"
    p.write_text("file\turl\tmd5\tzenodo_record\na\tftp://x/a\t\t1\n")
    with pytest.raises(DeguInputError, match=r"m.tsv:2: url for 'a' is not http\(s\)"):
        read_manifest(p)
    p.write_text("file\turl\tmd5\tzenodo_record\na\thttps://x/a\t\t\n")
    with pytest.raises(DeguInputError, match=r"m.tsv:2: 'a' needs an md5, a zenodo_record or an md5_list"):
        read_manifest(p)


def test_zenodo_api_unreachable_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DEGU_ZENODO_API", "http://127.0.0.1:9/api/records/")
    manifest = tmp_path / "m.tsv"
    manifest.write_text("file\turl\tmd5\tzenodo_record\nd.bin\thttp://127.0.0.1:9/d.bin\t\t42\n")
    with pytest.raises(
        DownloadError,
        match=r"cannot read the checksum of d.bin from the Zenodo record API "
        r"\(http://127.0.0.1:9/api/records/42\) after 2 attempts",
    ):
        fetch_from_manifest(manifest, "d.bin", tmp_path / "d.bin", retries=2, backoff=0)
    assert not (tmp_path / "d.bin").exists()
