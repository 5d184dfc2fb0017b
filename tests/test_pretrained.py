"""tfcourse.pretrained: the loader returns the contract's layout and names every bad argument."""
import numpy as np
import pytest

from tfcourse.datasets import EOS, PAD, load_task, load_vocab
from tfcourse.pretrained import Pretrained, available, load_pretrained


def test_the_dates_gru_model_loads_in_the_contracts_layout():
    params, context, targets, vocab = load_pretrained("dates", "gru")
    V, D = params["embedding"].shape
    H = params["W_h"].shape[0]
    assert sorted(params) == sorted(["W_x", "W_h", "b_x", "b_h", "W_y", "b_y", "embedding", "start"])
    assert params["W_x"].shape == (D, 3 * H) and params["W_y"].shape == (H, V)
    np.testing.assert_array_equal(params["start"], params["embedding"][1])  # SOS
    assert vocab == load_vocab("dates") and len(vocab) == V
    assert context.shape == (len(targets), H) and context.dtype == np.float64
    assert targets.dtype == np.int64


def test_the_targets_are_the_validation_split_with_eos_then_padding():
    _, _, targets, vocab = load_pretrained("dates", "gru")
    pairs = load_task("dates", "val")
    assert [vocab.decode(row) for row in targets] == [target for _, target in pairs]
    for row, (_, text) in zip(targets, pairs):
        assert row[len(text)] == EOS and np.all(row[len(text) + 1:] == PAD)


def test_the_result_is_a_named_tuple_of_fresh_arrays():
    first = load_pretrained("dates", "gru")
    assert isinstance(first, Pretrained)
    first.decoder_params["W_x"][:] = 0.0
    assert np.any(load_pretrained("dates", "gru").decoder_params["W_x"] != 0.0)


def test_available_lists_the_committed_models():
    assert ("dates", "gru") in available()


@pytest.mark.parametrize("task,cell_type,message", [
    ("calendar", "gru", r"task: expected one of 'dates', 'reverse', 'addition', 'keysum', got str 'calendar'"),
    ("dates", "transformer", r"cell_type: expected one of 'rnn', 'lstm', 'gru', got str 'transformer'"),
    (3, "gru", r"task: expected one of .* got int 3"),
])
def test_a_bad_argument_is_a_value_error_naming_it(task, cell_type, message):
    with pytest.raises(ValueError, match=message):
        load_pretrained(task, cell_type)


def test_a_model_that_was_not_made_is_a_value_error_listing_those_that_were(tmp_path):
    (tmp_path / "pretrained").mkdir()
    with pytest.raises(ValueError, match=r"no pretrained model reverse_lstm.npz .* available: none"):
        load_pretrained("reverse", "lstm", root=tmp_path)


def test_a_damaged_file_is_a_value_error_saying_how_to_remake_it(tmp_path):
    (tmp_path / "pretrained").mkdir()
    (tmp_path / "pretrained" / "dates_gru.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"dates_gru.npz: not a readable .npz file.*make_pretrained"):
        load_pretrained("dates", "gru", root=tmp_path)
