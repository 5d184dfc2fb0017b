"""solutions/tiny_gpt.py (released with notebook 07): the numpy GPT equals the PyTorch model that
was trained (float64), its KV cache equals one pass, bad input is named, and the committed weights are the ones the script trained."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from solutions.tiny_gpt import gpt_forward, gpt_forward_cached
from tests.torch_reference import needs_torch, torch
from tfcourse.char_corpus import char_source, load_corpus
from tfcourse.gpt import load_gpt, random_gpt_params

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("train_tiny_gpt", ROOT / "scripts" / "train_tiny_gpt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script() if torch is not None else None  # the training script is PyTorch


def _val_windows(n=4, T=64):
    return char_source().encode(load_corpus("val"))[:n * T].reshape(n, T)


@needs_torch
def test_numpy_forward_equals_the_trained_pytorch_model_in_float64():
    params, _ = load_gpt()
    model = SCRIPT.from_numpy_params(params, torch.float64)
    ids = _val_windows()
    with torch.no_grad():
        expected = model(torch.as_tensor(ids)).numpy()
    got = gpt_forward(ids, params)
    assert got.shape == (4, 64, len(char_source()))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@needs_torch
def test_the_pytorch_model_is_the_architecture_the_docs_state():
    params, info = load_gpt()
    model = SCRIPT.from_numpy_params(params)
    assert (int(info["n_layer"]), params["n_head"], params["wte"].shape[1]) == (2, 4, 48)
    assert all(isinstance(b.ln_1, torch.nn.LayerNorm) for b in model.blocks)   # pre-norm blocks
    assert not any("lm_head" in n for n, _ in model.named_parameters())        # tied embeddings


@needs_torch
def test_committed_weights_give_the_held_out_loss_recorded_at_training():
    params, info = load_gpt()
    val = char_source().encode(load_corpus("val"))
    windows = val[:len(val) // 64 * 64].reshape(-1, 64)
    loss = SCRIPT.causal_lm_loss_torch(torch.as_tensor(gpt_forward(windows, params)),
                                       torch.as_tensor(windows)).item()
    assert abs(loss - float(info["val_loss"])) < 1e-4      # float32 training vs float64 here
    assert loss < char_source().nll(val).mean() + 0.1      # close to the best possible


def test_feeding_tokens_one_at_a_time_through_the_cache_equals_one_pass():
    params = random_gpt_params(9, D=12, n_head=3, n_layer=2, P=16, rng=0)
    ids = np.random.default_rng(1).integers(0, 9, size=(2, 11))
    one_pass = gpt_forward(ids, params)
    logits, cache = gpt_forward_cached(ids[:, :4], params)
    rows = [logits]
    for t in range(4, 11):
        logits, cache = gpt_forward_cached(ids[:, t:t + 1], params, cache)
        rows.append(logits)
    assert cache.keys[0].shape == (2, 3, 11, 4) and len(cache.values) == 2
    np.testing.assert_allclose(np.concatenate(rows, axis=1), one_pass, rtol=1e-12, atol=1e-12)


def test_row_t_depends_on_tokens_up_to_t_only():
    params = random_gpt_params(7, rng=2)
    ids = np.array([1, 2, 3, 4, 5])
    changed = ids.copy()
    changed[3:] = 0
    np.testing.assert_array_equal(gpt_forward(ids, params)[:3], gpt_forward(changed, params)[:3])


def test_feeding_past_the_context_is_an_error_naming_new_ids():
    params = random_gpt_params(5, P=6, rng=0)
    _, cache = gpt_forward_cached(np.arange(5) % 5, params)
    with pytest.raises(ValueError, match=r"new_ids: the model reads at most P=6 positions"):
        gpt_forward_cached(np.array([1, 2]), params, cache)


@pytest.mark.parametrize("bad, words", [(np.array([0.5, 1.0]), "integer token ids"),
                                        (np.array([1, 9]), r"token ids in \[0, V=5\)")])
def test_bad_token_ids_are_named(bad, words):
    with pytest.raises(ValueError, match="new_ids: expected " + words):
        gpt_forward(bad, random_gpt_params(5, rng=0))


@needs_torch
def test_the_training_script_runs_and_saves_what_load_gpt_reads(tmp_path):
    out = tmp_path / "g.npz"
    SCRIPT.main(["--steps", "2", "--out", str(out)])
    params, info = load_gpt(out)
    assert int(info["steps"]) == 2 and params["n_head"] == 4
    assert params["wte"].dtype == np.float64
