import numpy as np
import pytest

from degu.io.encoding import decode, one_hot, reverse_complement, reverse_complement_onehot


def test_channel_order_is_acgt():
    x = one_hot(["ACGT"])
    np.testing.assert_array_equal(x[0], np.eye(4, dtype=np.uint8))
    assert x.dtype == np.uint8 and x.shape == (1, 4, 4)


def test_lowercase_encodes_like_uppercase():
    np.testing.assert_array_equal(one_hot(["acgtNn"]), one_hot(["ACGTNN"]))


def test_n_is_all_zeros_under_zeros_policy():
    x = one_hot(["ANC"])[0]
    assert x[1].sum() == 0 and x[0, 0] == 1 and x[2, 1] == 1


def test_n_rejected_under_error_policy():
    with pytest.raises(ValueError, match=r"sequence 0 has invalid character 'N' at position 2"):
        one_hot(["ANC"], n_policy="error")


@pytest.mark.parametrize("char", ["R", "Y", "-", "U", " "])
def test_other_characters_rejected(char):
    with pytest.raises(ValueError, match=rf"sequence 1 has invalid character '{char}' at position 3"):
        one_hot(["ACGT", f"AC{char}T"])


def test_unequal_lengths_rejected():
    with pytest.raises(ValueError, match="sequence 1 has length 3, expected 4"):
        one_hot(["ACGT", "ACG"])


def test_decode_roundtrip_and_reverse_complement():
    seqs = ["AACGTN", "GGGTCA"]
    assert decode(one_hot(seqs)) == seqs
    assert reverse_complement("AACGTN") == "NACGTT"
    np.testing.assert_array_equal(
        reverse_complement_onehot(one_hot(seqs)), one_hot([reverse_complement(s) for s in seqs])
    )
