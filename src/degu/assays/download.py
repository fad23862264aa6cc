"""Verified, resumable downloads driven by a manifest.

A manifest is a TSV with columns ``file, url, md5, zenodo_record`` and optionally
``md5_list``. When ``md5`` is empty, the expected checksum is read at download time from
the Zenodo record API (``https://zenodo.org/api/records/<record>``, field ``checksum:
"md5:..."``) or, for a file from a server that publishes an ``md5sum.txt`` listing (UCSC's
genome downloads), from that listing (``md5_list``: its URL; lines ``<md5>  <file name>``);
either way every file is verified before it appears under its final name.

Bytes go to ``<dest>.part``; an interrupted transfer is resumed with an HTTP
``Range`` request and retried with exponential back-off. On final failure (or a
size/checksum mismatch) the ``.part`` file is removed and no output is left.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import requests

from degu.errors import DeguInputError
from degu.io.atomic import atomic_path

log = logging.getLogger("degu.download")
MANIFEST_COLUMNS = ["file", "url", "md5", "zenodo_record"]
ZENODO_API = "https://zenodo.org/api/records/"  # override with the DEGU_ZENODO_API environment variable


class DownloadError(RuntimeError):
    pass


def read_manifest(path) -> pd.DataFrame:
    path = Path(path)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in MANIFEST_COLUMNS if c not in table.columns]
    if missing:
        raise DeguInputError(f"{path}: manifest lacks column(s) {missing}")
    dup = table["file"][table["file"].duplicated()].tolist()
    if dup:
        raise DeguInputError(f"{path}: file(s) listed twice: {dup}")
    for i, row in table.iterrows():
        name = Path(row["file"])
        if row["file"] in ("", ".") or name.is_absolute() or ".." in name.parts:
            raise DeguInputError(
                f"{path}:{i + 2}: file {row['file']!r} must be a relative path inside the raw directory "
                "(no leading '/', no '..')"
            )
        if not row["url"].startswith(("http://", "https://")):
            raise DeguInputError(f"{path}:{i + 2}: url for '{row['file']}' is not http(s): {row['url']!r}")
        if not row["md5"] and not row["zenodo_record"] and not row.get("md5_list", ""):
            raise DeguInputError(
                f"{path}:{i + 2}: '{row['file']}' needs an md5, a zenodo_record or an md5_list"
            )
    return table.set_index("file", drop=False)


def md5sum(path, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def zenodo_md5(
    record: str,
    filename: str,
    api: str | None = None,
    timeout: float = 60,
    retries: int = 5,
    backoff: float = 2.0,
) -> str:
    """The md5 Zenodo lists for ``filename`` in ``record`` (retried like downloads)."""
    api = api or os.environ.get("DEGU_ZENODO_API", ZENODO_API)
    url = api.rstrip("/") + f"/{record}"
    for attempt in range(1, retries + 1):
        try:
            resp = requests.get(url, timeout=timeout)
            resp.raise_for_status()
            listing = resp.json()
            break
        except (requests.RequestException, ValueError) as exc:
            if attempt == retries:
                raise DownloadError(
                    f"cannot read the checksum of {filename} from the Zenodo record API ({url}) "
                    f"after {retries} attempts: {exc}; put the md5 in the manifest to download without it"
                ) from exc
            log.warning("Zenodo API %s failed (attempt %d/%d): %s", url, attempt, retries, exc)
            time.sleep(backoff * 2 ** (attempt - 1))
    for entry in listing.get("files", []):
        if entry.get("key") == filename:
            checksum = entry.get("checksum", "")
            algo, _, value = checksum.partition(":")
            if algo != "md5" or not value:
                raise DownloadError(
                    f"Zenodo record {record}: unexpected checksum {checksum!r} for {filename}"
                )
            return value
    raise DownloadError(f"Zenodo record {record} ({url}) lists no file named {filename!r}")


def listed_md5(
    list_url: str, filename: str, timeout: float = 60, retries: int = 5, backoff: float = 2.0
) -> str:
    """The md5 an ``md5sum.txt``-style listing at ``list_url`` gives for ``filename``."""
    for attempt in range(1, retries + 1):
        try:
            resp = requests.get(list_url, timeout=timeout)
            resp.raise_for_status()
            text = resp.text
            break
        except requests.RequestException as exc:
            if attempt == retries:
                raise DownloadError(
                    f"cannot read the checksum listing {list_url} after {retries} attempts: {exc}; "
                    "put the md5 in the manifest to download without it"
                ) from exc
            log.warning("checksum listing %s failed (attempt %d/%d): %s", list_url, attempt, retries, exc)
            time.sleep(backoff * 2 ** (attempt - 1))
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == filename and len(parts[0]) == 32:
            return parts[0].lower()
    raise DownloadError(f"checksum listing {list_url} has no line for {filename!r}")


def fetch(
    url: str,
    dest,
    md5: str | None = None,
    *,
    retries: int = 5,
    backoff: float = 2.0,
    timeout: float = 60,
    chunk: int = 1 << 16,
) -> str:
    """Download ``url`` to ``dest``, resuming and retrying; verify size and md5. Returns the md5."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error: Exception | None = None
    try:
        for attempt in range(1, retries + 1):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with requests.get(url, headers=headers, stream=True, timeout=timeout) as resp:
                    if resp.status_code == 416:  # we already have everything
                        total = have
                    else:
                        resp.raise_for_status()
                        if have and resp.status_code != 206:  # server ignored Range: start over
                            have = 0
                        length = resp.headers.get("Content-Length")
                        total = have + int(length) if length is not None else None
                        with open(part, "ab" if have else "wb") as fh:
                            for block in resp.iter_content(chunk_size=chunk):
                                fh.write(block)
                got = part.stat().st_size
                if total is not None and got != total:
                    raise DownloadError(f"incomplete transfer: {got} of {total} bytes")
                break
            except (requests.RequestException, DownloadError) as exc:
                last_error = exc
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status is not None and 400 <= status < 500 and status not in (408, 429):
                    raise DownloadError(f"{url}: HTTP {status}; not retrying") from exc
                log.warning("download of %s failed (attempt %d/%d): %s", url, attempt, retries, exc)
                if attempt < retries:
                    time.sleep(backoff * 2 ** (attempt - 1))
        else:
            raise DownloadError(f"{url}: giving up after {retries} attempts: {last_error}")
        digest = md5sum(part)
        if md5 and digest != md5.lower():
            raise DownloadError(f"{url}: md5 mismatch for {dest.name}: expected {md5}, got {digest}")
        os.replace(part, dest)
        log.info("downloaded %s (%d bytes, md5 %s verified=%s)", dest, dest.stat().st_size, digest, bool(md5))
        return digest
    finally:
        if part.exists():
            part.unlink()


def fetch_from_manifest(manifest, filename: str, dest, **kwargs) -> str:
    table = read_manifest(manifest)
    if filename not in table.index:
        raise DeguInputError(f"{manifest}: no entry for file {filename!r}")
    row = table.loc[filename]
    retry = {k: kwargs[k] for k in ("retries", "backoff") if k in kwargs}
    if row["md5"]:
        expected = row["md5"]
    elif row["zenodo_record"]:
        expected = zenodo_md5(row["zenodo_record"], filename, **retry)
    else:
        expected = listed_md5(row["md5_list"], filename, **retry)
    return fetch(row["url"], dest, expected, **kwargs)


def extract_member(archive, member: str, dest) -> Path:
    """Extract one member of a (gzipped) tar archive to ``dest``, atomically.

    Only regular files are extracted, and only by name (never by the archive's own
    paths), so a hostile archive cannot write outside ``dest``. A missing member is a
    DeguInputError that lists a few of the archive's members.
    """
    import tarfile

    archive, dest = Path(archive), Path(dest)
    try:
        with tarfile.open(archive, "r:*") as tar:
            try:
                info = tar.getmember(member)
            except KeyError:
                names = [m.name for m in tar.getmembers()[:20]]
                raise DeguInputError(f"{archive}: no member {member!r}; members include {names}") from None
            if not info.isfile():
                raise DeguInputError(f"{archive}: member {member!r} is not a regular file")
            src = tar.extractfile(info)
            with atomic_path(dest) as tmp, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DeguInputError(f"{archive}: cannot read the archive (truncated or corrupt?): {exc}") from exc
    return dest


# ------------------------------------------------------------------ ENCODE experiment metadata

ENCODE_URL = "https://www.encodeproject.org"


def encode_manifest(
    experiment_json: dict,
    *,
    experiment: str,
    output_type: str = "fold change over control",
    assembly: str = "GRCh38",
    n_replicates: int = 3,
    file_format: str = "bigWig",
    url: str = ENCODE_URL,
    where: str = "ENCODE metadata",
) -> pd.DataFrame:
    """The download manifest (``file, url, md5, zenodo_record``; files ``rep1.bw`` ..) of one
    ENCODE experiment's per-replicate files, chosen from its metadata JSON
    (``<url>/experiments/<experiment>/?format=json``, field ``files``): status ``released``,
    the given ``output_type``, ``assembly`` and ``file_format``, and exactly one biological
    replicate each (pooled files are skipped). Where a replicate has several such files, those
    marked ``preferred_default`` (ENCODE's default analysis) are kept. Every replicate must end
    with exactly one file and there must be ``n_replicates`` of them; otherwise a one-line error
    names the experiment and the accessions found. ``rep<i>`` follows the biological replicate
    numbers in increasing order."""
    if experiment_json.get("accession") != experiment:
        raise DeguInputError(
            f"{where}: accession is {experiment_json.get('accession')!r}, expected {experiment!r}"
        )
    by_rep: dict[int, list[dict]] = {}
    for f in experiment_json.get("files", []):
        if not isinstance(f, dict):
            continue
        reps = f.get("biological_replicates") or []
        if (
            f.get("status") == "released"
            and f.get("output_type") == output_type
            and f.get("assembly") == assembly
            and f.get("file_format") == file_format
            and len(reps) == 1
        ):
            by_rep.setdefault(int(reps[0]), []).append(f)
    for rep, files in by_rep.items():
        if len(files) > 1:
            preferred = [f for f in files if f.get("preferred_default")]
            by_rep[rep] = preferred or files
    found = {rep: [f.get("accession") for f in files] for rep, files in sorted(by_rep.items())}
    ambiguous = {rep: acc for rep, acc in found.items() if len(acc) != 1}
    if ambiguous or len(found) != int(n_replicates):
        raise DeguInputError(
            f"{where}: {experiment} has {len(found)} biological replicate(s) with a released "
            f"'{output_type}' {file_format} on {assembly} ({found or 'none'}); expected {n_replicates} "
            "with one file each"
        )
    rows = []
    for i, (rep, (f,)) in enumerate(sorted(by_rep.items()), start=1):
        md5, href = f.get("md5sum", ""), f.get("href", "")
        if not re.fullmatch(r"[0-9a-f]{32}", str(md5)) or not str(href).startswith("/"):
            raise DeguInputError(f"{where}: file {f.get('accession')} lacks an md5sum or a download href")
        rows.append(
            {
                "file": f"rep{i}.bw",
                "url": url.rstrip("/") + href,
                "md5": md5,
                "zenodo_record": "",
                "accession": f.get("accession", ""),
                "biological_replicate": rep,
            }
        )
    return pd.DataFrame(rows)


def resolve_encode(
    out_manifest, *, experiment: str, url: str = ENCODE_URL, timeout: float = 60, **choice
) -> pd.DataFrame:
    """Fetch an ENCODE experiment's metadata and write :func:`encode_manifest` (TSV,
    atomically) to ``out_manifest``; the chosen accessions are logged and kept in the manifest."""
    meta_url = f"{url.rstrip('/')}/experiments/{experiment}/?format=json"
    try:
        response = requests.get(meta_url, headers={"Accept": "application/json"}, timeout=timeout)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DownloadError(f"{meta_url}: cannot read the experiment metadata: {exc}") from exc
    table = encode_manifest(data, experiment=experiment, url=url, where=meta_url, **choice)
    for row in table.itertuples():
        log.info(
            "%s: %s = %s (biological replicate %d, md5 %s)",
            experiment,
            row.file,
            row.accession,
            row.biological_replicate,
            row.md5,
        )
    with atomic_path(out_manifest) as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    return table
