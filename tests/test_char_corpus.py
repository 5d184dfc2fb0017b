"""tfcourse.char_corpus: the committed corpus is what the module writes; the source is a
proper distribution after any history, and its NLL is the one next_probs gives."""
import numpy as np
import pytest

from tfcourse.char_corpus import ORDER, char_source, load_corpus, write_corpus
from tfcourse.paths import data_dir


def test_committed_corpus_is_regenerated_byte_for_byte(tmp_path):
    folder = write_corpus(tmp_path)
    for name in ("train.txt", "val.txt", "vocab.json"):
        assert (folder / name).read_bytes() == (data_dir() / "charlm" / name).read_bytes(), name


def test_every_character_keeps_a_positive_probability_after_any_history():
    table = char_source().table
    assert np.all(table > 0)
    np.testing.assert_allclose(table.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


def test_nll_is_minus_log_next_probs():
    source = char_source()
    ids = source.encode(load_corpus("val")[:40])
    expected = [-np.log(source.next_probs(ids[:t])[ids[t]]) for t in range(ORDER, 40)]
    np.testing.assert_allclose(source.nll(ids), expected, rtol=1e-13)


def test_a_short_history_is_an_error_naming_ids():
    with pytest.raises(ValueError, match="ids: expected at least 3 characters"):
        char_source().next_probs(np.array([1, 2]))
