"""One-hot encoding of DNA with A,C,G,T channel order.

Conventions (documented in docs/data-layout.md):

* Channel order is A, C, G, T.
* Lowercase letters (soft-masked repeats) encode exactly like uppercase.
* ``N``/``n`` (unknown base) encodes as all zeros when ``n_policy="zeros"`` (the
  DeepSTARR convention) or is rejected when ``n_policy="error"``.
* Any other character (including IUPAC ambiguity codes such as R or Y) is an error.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGT"
N_POLICIES = ("zeros", "error")

_LUT = np.full(256, -2, dtype=np.int8)  # -2 invalid, -1 N, 0..3 base
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_LUT[ord("N")] = -1
_LUT[ord("n")] = -1

_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def first_invalid(seq: str, n_policy: str = "zeros") -> int | None:
    """Return the 0-based index of the first character not allowed, else None."""
    codes = _codes(seq)
    bad = codes == -2 if n_policy == "zeros" else codes < 0
    idx = np.flatnonzero(bad)
    return int(idx[0]) if idx.size else None


def invalid_character_message(prefix: str, seq: str, pos: int, n_policy: str, column: str) -> str:
    """The one-line error for the character of ``seq`` at ``pos`` that ``n_policy`` rejects, as
    every table reader words it (``prefix``: file, line and record)."""
    ch = seq[pos]
    allowed = "ACGTN" if n_policy == "zeros" else "ACGT"
    hint = (
        " (N is rejected because n_policy='error')"
        if ch in "Nn"
        else f" (allowed: {', '.join(allowed)}, either case)"
    )
    return f"{prefix} has invalid character {ch!r} at position {pos + 1} in column '{column}'{hint}"


def _codes(seq: str) -> np.ndarray:
    raw = np.frombuffer(seq.encode("latin-1", errors="replace"), dtype=np.uint8)
    return _LUT[raw]


def one_hot(seqs: list[str] | tuple[str, ...], n_policy: str = "zeros") -> np.ndarray:
    """Encode equal-length sequences as a uint8 array of shape (N, L, 4).

    Raises ValueError naming the sequence index and position of the first
    character that is not allowed under ``n_policy``.
    """
    if n_policy not in N_POLICIES:
        raise ValueError(f"n_policy must be one of {N_POLICIES}, got {n_policy!r}")
    if len(seqs) == 0:
        return np.zeros((0, 0, 4), dtype=np.uint8)
    length = len(seqs[0])
    out = np.zeros((len(seqs), length, 4), dtype=np.uint8)
    for i, seq in enumerate(seqs):
        if len(seq) != length:
            raise ValueError(f"sequence {i} has length {len(seq)}, expected {length}")
        codes = _codes(seq)
        bad = first_invalid(seq, n_policy)
        if bad is not None:
            raise ValueError(f"sequence {i} has invalid character {seq[bad]!r} at position {bad + 1}")
        pos = np.flatnonzero(codes >= 0)
        out[i, pos, codes[pos]] = 1
    return out


def decode(x: np.ndarray) -> list[str]:
    """Invert :func:`one_hot` (all-zero positions become ``N``)."""
    x = np.asarray(x)
    letters = np.array(list(ALPHABET + "N"))
    idx = np.where(x.sum(-1) > 0, x.argmax(-1), 4)
    return ["".join(row) for row in letters[idx]]


def reverse_complement(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def reverse_complement_onehot(x: np.ndarray) -> np.ndarray:
    """Reverse-complement one-hot sequences (A,C,G,T order: flip both axes)."""
    return np.asarray(x)[..., ::-1, ::-1]
