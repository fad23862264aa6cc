"""Forward/reverse orientation pairs, found by name and by sequence.

MPRA libraries measure each element in both orientations; the two records must land in
the same split or the test set leaks. Pairs are found two ways and merged (union-find):

* by name: the reverse record's name is the forward name plus a suffix matched by
  ``reverse_pattern`` (:func:`degu.io.lentimpra.pair_stem`);
* by sequence: two sequences that are exact reverse complements of each other, either as a
  whole or after the flanks that *every* sequence shares (constant adaptors, such as the
  lentiMPRA library's 15-nt adaptors, which are not reverse-complemented) are set aside.
  Identical sequences are kept together as well.
"""

from __future__ import annotations

import os

import numpy as np

from degu.io.encoding import reverse_complement
from degu.io.lentimpra import is_reverse, pair_stem


def _common_flanks(seqs: list[str]) -> tuple[int, int]:
    if len(seqs) < 2:
        return 0, 0
    p = len(os.path.commonprefix(seqs))
    q = len(os.path.commonprefix([s[::-1] for s in seqs]))
    shortest = min(len(s) for s in seqs)
    return (p, q) if p + q < shortest else (0, 0)


def orientation_groups(names, seqs, pattern: str) -> tuple[np.ndarray, dict]:
    """One group label per record (the name stem, or the smallest stem of records merged by
    sequence) and counts: ``n_pairs_by_name`` (stems shared by two or more records),
    ``n_pairs_by_sequence`` (reverse-complement sequences that the names did not pair),
    ``n_reverse_names`` (names matching ``pattern``) and ``sequence_flanks_ignored``."""
    names = [str(n) for n in names]
    seqs = [str(s).upper() for s in seqs]
    n = len(names)
    stems = [pair_stem(nm, pattern) for nm in names]
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first_of_stem: dict[str, int] = {}
    for i, st in enumerate(stems):
        union(i, first_of_stem.setdefault(st, i))
    name_root = [find(i) for i in range(n)]
    n_pairs_by_name = sum(1 for c in np.unique(name_root, return_counts=True)[1] if c >= 2)

    p, q = _common_flanks(seqs)
    seq_pairs = set()
    for lo, hi in ((0, 0), (p, q)) if (p or q) else ((0, 0),):
        buckets: dict[str, list[int]] = {}
        for i, s in enumerate(seqs):
            core = s[lo : len(s) - hi]
            buckets.setdefault(min(core, reverse_complement(core)), []).append(i)
        for key, members in buckets.items():
            if len(members) < 2:
                continue
            orient = {seqs[i][lo : len(seqs[i]) - hi] == key for i in members}
            if len(orient) == 2 and len({name_root[i] for i in members}) > 1:
                seq_pairs.add(tuple(sorted({name_root[i] for i in members})))
            for i in members[1:]:
                union(members[0], i)
    roots = np.array([find(i) for i in range(n)])
    label: dict[int, str] = {}
    for i, r in enumerate(roots.tolist()):
        label[r] = min(label.get(r, stems[i]), stems[i])
    groups = np.array([label[r] for r in roots.tolist()], dtype=object)
    info = {
        "n_pairs_by_name": int(n_pairs_by_name),
        "n_pairs_by_sequence": len(seq_pairs),
        "n_reverse_names": int(sum(is_reverse(nm, pattern) for nm in names)),
        "sequence_flanks_ignored": [int(p), int(q)],
    }
    return groups, info
