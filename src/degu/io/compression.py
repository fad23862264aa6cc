"""Compressed input read wherever a plain file is accepted, recognised by its magic bytes
(not only by a ``.gz`` suffix); formats without a stdlib reader are named in the error."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
from pathlib import Path

from degu.errors import DeguInputError

# magic bytes -> (format, opener or None when there is no stdlib reader)
_MAGIC = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
    (b"\x28\xb5\x2f\xfd", "zstd", None),
    (b"7z\xbc\xaf\x27\x1c", "7z", None),
)


def sniff(path: str | os.PathLike) -> str | None:
    """The compression of ``path`` ("gzip", "bzip2", "xz", "zstd", "7z") or None."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((name for magic, name, _ in _MAGIC if head.startswith(magic)), None)


def open_binary(path: str | os.PathLike):
    """Open ``path`` for reading bytes, decompressing gzip, bzip2 and xz transparently.

    Raises DeguInputError naming the file when it is missing or compressed in a format
    without a reader here."""
    path = Path(path)
    if not path.is_file():
        raise DeguInputError(f"{path}: file not found")
    kind = sniff(path)
    if kind is None:
        return open(path, "rb")
    opener = next(op for _, name, op in _MAGIC if name == kind)
    if opener is None:
        raise DeguInputError(f"{path}: {kind}-compressed; decompress it first or recompress with gzip")
    return opener(path, "rb")


def read_bytes(path: str | os.PathLike) -> bytes:
    """The (decompressed) content of ``path``; errors name the file."""
    try:
        with open_binary(path) as fh:
            return fh.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DeguInputError(f"{path}: cannot read ({sniff_name(path)}): {exc}") from exc


def sniff_name(path) -> str:
    try:
        return f"{sniff(path) or 'uncompressed'} file"
    except OSError:
        return "unreadable file"


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Text (UTF-8, a byte-order mark dropped, undecodable bytes replaced) of ``path``,
    decompressed as by :func:`open_binary`."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="replace", newline="")


def gunzip(src: str | os.PathLike, dest: str | os.PathLike, chunk: int = 1 << 20) -> None:
    """Decompress the gzip file ``src`` into ``dest``, atomically (a truncated or corrupt
    file is a DeguInputError naming it, and leaves nothing at ``dest``)."""
    import shutil
    import zlib

    from degu.io.atomic import atomic_path

    try:
        with gzip.open(src, "rb") as fin, atomic_path(dest) as tmp, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DeguInputError(f"{src}: cannot decompress (truncated or not gzip?): {exc}") from None
