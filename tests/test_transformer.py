"""The reference transformer pieces: shift_right as Hugging Face's, the causal mask, attention
equal to PyTorch's, and one teacher-forced pass equal to decoding step by step.

Independent references: a transcription of Hugging Face's `shift_tokens_right` into torch
(transformers is not installed), torch's scaled_dot_product_attention and nn.MultiheadAttention
in float64, and the decoder rebuilt from torch modules.
"""
import copy
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import (causal_mask, causal_self_attention, positional_encoding, shift_right,
                       transformer_decoder_forward, transformer_decoder_free_running,
                       transformer_decoder_kv_cache, transformer_decoder_step,
                       transformer_decoder_step_by_step)
from tests.torch_reference import needs_torch, torch
from tfcourse.transformer_params import random_transformer_params

PROPERTY = settings(deadline=None, max_examples=30)


def hf_shift_tokens_right(input_ids, pad_token_id, decoder_start_token_id):
    """Hugging Face's `shift_tokens_right` (BART, mBART's cousins, T5's `_shift_right`) as
    documented: a (B, T) LongTensor shifted right, the start token in column 0, then every
    -100 replaced by the pad id. Note HF's argument order: pad before start."""
    shifted = input_ids.new_zeros(input_ids.shape)
    shifted[:, 1:] = input_ids[:, :-1].clone()
    shifted[:, 0] = decoder_start_token_id
    shifted.masked_fill_(shifted == -100, pad_token_id)
    return shifted


def hf(labels, start, pad):
    return hf_shift_tokens_right(torch.tensor(np.atleast_2d(labels)), pad, start).numpy()


def message(text):
    """pytest.raises(match=...) for an exact message."""
    return "^" + re.escape(text) + "$"


# ----------------------------------------------------------------------------- shift_right

@needs_torch
@pytest.mark.parametrize("labels, start, pad, expected", [
    ([[5, 6, 7, 8]], 2, 0, [[2, 5, 6, 7]]),                          # start first, last dropped
    ([[5, 6, -100, -100]], 2, 0, [[2, 5, 6, 0]]),                   # ignore_index -> pad
    ([[5, -100, 7, 8]], 1, 3, [[1, 5, 3, 7]]),                       # in the middle too
    ([[-100, -100, -100]], 1, 0, [[1, 0, 0]]),                      # all ignored
    ([[9]], 4, 0, [[4]]),                                            # T = 1: only the start token
    ([[5, 6, 7], [8, -100, -100]], 1, 0, [[1, 5, 6], [1, 8, 0]]),  # batch: rows independent
    ([[0, 0, 0]], 0, 0, [[0, 0, 0]]),                               # T5: start = pad = 0
])
def test_shift_right_matches_hugging_face_on_explicit_cases(labels, start, pad, expected):
    ours = shift_right(np.array(labels), start, pad)
    assert ours.tolist() == expected
    assert ours.tolist() == hf(np.array(labels), start, pad).tolist()


@needs_torch
@PROPERTY
@given(st.lists(st.lists(st.sampled_from([-100, 0, 1, 2, 3, 7, 50]), min_size=5, max_size=5),
                min_size=1, max_size=4),
       st.integers(0, 60), st.integers(0, 60))
def test_shift_right_matches_hugging_face_on_random_batches(labels, start, pad):
    labels = np.array(labels)
    assert np.array_equal(shift_right(labels, start, pad), hf(labels, start, pad))


@needs_torch
def test_shift_right_on_one_sequence_is_the_batch_version_of_one_row():
    labels = np.array([4, -100, 6, 7])
    out = shift_right(labels, 1, 0)
    assert out.shape == (4,) and out.dtype == np.int64
    assert out.tolist() == hf(labels, 1, 0)[0].tolist()


def test_shift_right_replaces_a_custom_ignore_index_and_keeps_minus_100():
    assert shift_right(np.array([5, -1, -100, 8]), 2, 0, ignore_index=-1).tolist() == [2, 5, 0, -100]


def test_shift_right_replaces_a_start_token_equal_to_ignore_index_as_hugging_face_does():
    # HF masks after writing the start token, so a start equal to the ignored id becomes pad.
    assert shift_right(np.array([5, 6]), 7, 0, ignore_index=7).tolist() == [0, 5]


def test_shift_right_does_not_modify_the_labels():
    labels = np.array([[5, -100, 7]])
    before = labels.copy()
    shift_right(labels, 1, 0)
    assert np.array_equal(labels, before)


@pytest.mark.parametrize("args, text", [
    (([1.0, 2.0], 1, 0), "labels: expected an integer array of token ids, shape (T,) or (B, T), "
                         "got list [1.0, 2.0]"),
    ((np.zeros((1, 2, 3), int), 1, 0), "labels: expected shape (T,) or (B, T) with T >= 1, got (1, 2, 3)"),
    ((np.zeros((2, 0), int), 1, 0), "labels: expected shape (T,) or (B, T) with T >= 1, got (2, 0)"),
    ((np.array(3), 1, 0), "labels: expected shape (T,) or (B, T) with T >= 1, got ()"),
    (([[1, 2], [3]], 1, 0), "labels: expected an integer array of token ids, shape (T,) or (B, T), "
                            "got list [[1, 2], [3]]"),
    (([1, 2], -1, 0), "start_token_id: expected an integer >= 0, got int -1"),
    (([1, 2], 1, None), "pad_token_id: expected an integer >= 0, got NoneType None"),
    (([1, 2], 1, True), "pad_token_id: expected an integer >= 0, got bool True"),
])
def test_shift_right_rejects_bad_input_naming_the_argument(args, text):
    with pytest.raises(ValueError, match=message(text)):
        shift_right(*args)


def test_shift_right_rejects_a_non_integer_ignore_index():
    with pytest.raises(ValueError, match=message("ignore_index: expected an integer, got float -100.0")):
        shift_right([1, 2], 1, 0, ignore_index=-100.0)


# ----------------------------------------------------------------------------- causal_mask

def test_causal_mask_allows_the_past_and_the_present_only():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    mask = causal_mask(7)
    t, j = np.indices((7, 7))
    assert mask.dtype == bool and np.array_equal(mask, j <= t)


@pytest.mark.parametrize("T, text", [(0, "T: expected an integer >= 1, got int 0"),
                                     (2.0, "T: expected an integer >= 1, got float 2.0")])
def test_causal_mask_rejects_bad_lengths(T, text):
    with pytest.raises(ValueError, match=message(text)):
        causal_mask(T)


# ----------------------------------------------------------------------------- attention

def attention_case(T=5, D=6, d_k=4, d_v=3, D_out=None, batch=(), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=batch + (T, D))
    weights = [rng.normal(size=s) / np.sqrt(D) for s in ((D, d_k), (D, d_k), (D, d_v))]
    W_o = None if D_out is None else rng.normal(size=(d_v, D_out))
    return x, *weights, W_o


@pytest.mark.parametrize("batch", [(), (3,)])
@pytest.mark.parametrize("D_out", [None, 7])
def test_attention_shapes(batch, D_out):
    out, weights = causal_self_attention(*attention_case(T=5, d_v=3, D_out=D_out, batch=batch))
    assert out.shape == batch + (5, 3 if D_out is None else 7)
    assert weights.shape == batch + (5, 5)


def test_attention_gives_the_future_exactly_zero_weight_and_rows_sum_to_one():
    _, weights = causal_self_attention(*attention_case(T=9, batch=(2,)))
    future = ~causal_mask(9)
    assert np.all(weights[:, future] == 0.0)
    assert np.all(weights[:, ~future] > 0.0)
    assert np.allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=1e-15)


def test_attention_softmax_is_stable_for_huge_scores():
    x, W_q, W_k, W_v, _ = attention_case(T=6)
    out, weights = causal_self_attention(x * 1e6, W_q, W_k, W_v)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(weights))
    assert np.allclose(weights.sum(axis=-1), 1.0)


@PROPERTY
@given(st.integers(1, 8), st.integers(0, 7), st.integers(0, 2**32 - 1))
def test_changing_the_future_never_changes_the_past(T, t, seed):
    t = min(t, T - 1)
    x, W_q, W_k, W_v, W_o = attention_case(T=T, D_out=6, seed=seed)
    changed = x.copy()
    changed[t + 1:] = np.random.default_rng(seed + 1).normal(size=changed[t + 1:].shape)
    before, after = causal_self_attention(x, W_q, W_k, W_v, W_o), causal_self_attention(changed, W_q, W_k, W_v, W_o)
    assert np.array_equal(before.out[:t + 1], after.out[:t + 1])
    assert np.array_equal(before.weights[:t + 1], after.weights[:t + 1])


def test_the_first_position_attends_only_to_itself_so_it_outputs_its_own_value():
    x, W_q, W_k, W_v, _ = attention_case()
    out, weights = causal_self_attention(x, W_q, W_k, W_v)
    assert weights[0, 0] == 1.0 and np.allclose(out[0], x[0] @ W_v, rtol=0, atol=1e-15)


@needs_torch
@pytest.mark.parametrize("batch", [(), (2,)])
def test_attention_equals_torch_scaled_dot_product_attention(batch):
    x, W_q, W_k, W_v, W_o = attention_case(T=7, D=6, d_k=4, d_v=5, D_out=3, batch=batch, seed=3)
    q, k, v = (torch.from_numpy(x @ W) for W in (W_q, W_k, W_v))
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).numpy() @ W_o
    out, _ = causal_self_attention(x, W_q, W_k, W_v, W_o)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


@needs_torch
def test_attention_equals_torch_multihead_attention_with_one_head():
    D, T = 6, 7
    x, W_q, W_k, W_v, W_o = attention_case(T=T, D=D, d_k=D, d_v=D, D_out=D, batch=(2,), seed=4)
    mha = torch.nn.MultiheadAttention(D, num_heads=1, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T])))
        mha.out_proj.weight.copy_(torch.from_numpy(W_o.T))
    xt = torch.from_numpy(x)
    # nn.MultiheadAttention's boolean mask is True where attention is *not* allowed.
    expected, expected_weights = mha(xt, xt, xt, attn_mask=torch.from_numpy(~causal_mask(T)),
                                     need_weights=True)
    out, weights = causal_self_attention(x, W_q, W_k, W_v, W_o)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights, expected_weights.detach().numpy(), rtol=0, atol=1e-12)


def test_attention_does_not_modify_its_inputs():
    args = attention_case(D_out=2)
    before = copy.deepcopy(args)
    causal_self_attention(*args)
    assert all(np.array_equal(a, b) for a, b in zip(args, before))


def _bad_attention(**change):
    x, W_q, W_k, W_v, W_o = attention_case(T=5, D=6, d_k=4, d_v=3, D_out=2)
    args = dict(x=x, W_q=W_q, W_k=W_k, W_v=W_v, W_o=W_o)
    args.update(change)
    return args


@pytest.mark.parametrize("change, text", [
    (dict(x=np.zeros(6)), "x: expected shape (T, D), got (6,)"),
    (dict(x=np.zeros((5, 0, 6))), "x: expected at least one position (T >= 1), got shape (5, 0, 6)"),
    (dict(W_q=np.zeros((5, 4))), "W_q: expected shape (D=6, d_k), got (5, 4)"),
    (dict(W_k=np.zeros((6, 3))), "W_k: expected shape (D=6, d_k=4), got (6, 3)"),
    (dict(W_v=np.zeros((4, 3))), "W_v: expected shape (D=6, d_v), got (4, 3)"),
    (dict(W_o=np.zeros((4, 2))), "W_o: expected shape (d_v=3, D_out), got (4, 2)"),
    (dict(x=np.full((5, 6), np.nan)), "x: expected finite values, got nan at index (0, 0)"),
    (dict(x="hello"), "x: expected a real-valued array of shape (T, D), got str 'hello'"),
])
def test_attention_rejects_bad_input_naming_the_argument(change, text):
    with pytest.raises(ValueError, match=message(text)):
        causal_self_attention(**_bad_attention(**change))


# ----------------------------------------------------------------------------- positional encoding

@pytest.mark.parametrize("D", [1, 6, 7])
def test_positional_encoding_is_the_sinusoid_of_vaswani_et_al(D):
    T = 12
    pe = positional_encoding(T, D)
    # The PyTorch tutorial's form: div = exp(2i * -ln(10000) / D).
    position = np.arange(T)[:, None]
    div = np.exp(np.arange(0, D, 2) * (-np.log(10000.0) / D))
    assert pe.shape == (T, D)
    np.testing.assert_allclose(pe[:, 0::2], np.sin(position * div), rtol=0, atol=1e-12)
    np.testing.assert_allclose(pe[:, 1::2], np.cos(position * div)[:, :D // 2], rtol=0, atol=1e-12)
    assert np.array_equal(pe[0, 1::2], np.ones(D // 2))


@pytest.mark.parametrize("args, text", [((0, 4), "T: expected an integer >= 1, got int 0"),
                                        ((3, 0), "D: expected an integer >= 1, got int 0")])
def test_positional_encoding_rejects_bad_sizes(args, text):
    with pytest.raises(ValueError, match=message(text)):
        positional_encoding(*args)


# ----------------------------------------------------------------------------- the decoder

V, D, D_K, D_V = 11, 8, 5, 6


def params(seed=0):
    return random_transformer_params(V, D, D_K, D_V, rng=seed)


def test_decoder_logits_have_shape_T_by_V_and_batches_stack_rows():
    p = params()
    ids = np.array([[1, 4, 3, 7, 2], [9, 0, 5, 5, 10]])
    logits = transformer_decoder_forward(ids, p)
    assert logits.shape == (2, 5, V)
    assert transformer_decoder_forward(ids[1], p).shape == (5, V)
    np.testing.assert_allclose(logits[1], transformer_decoder_forward(ids[1], p), rtol=0, atol=1e-13)


@PROPERTY
@given(st.lists(st.integers(0, V - 1), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_one_teacher_forced_pass_equals_step_by_step_decoding_fed_the_true_prefix(ids, seed):
    p = params(seed)
    ids = np.array(ids)
    one_pass = transformer_decoder_forward(ids, p)
    np.testing.assert_allclose(transformer_decoder_step_by_step(ids, p), one_pass, rtol=0, atol=1e-12)
    np.testing.assert_allclose(transformer_decoder_kv_cache(ids, p), one_pass, rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch", [(), (3,)])
def test_one_decoding_step_grows_the_cache_by_its_own_key_and_value(batch):
    p = random_transformer_params(9, 6, 4, 5, rng=4)
    ids = np.random.default_rng(5).integers(0, 9, size=batch + (5,))
    cache, one_pass = None, transformer_decoder_forward(ids, p)
    for t in range(5):
        token = ids[..., t] if batch else int(ids[t])
        logits, cache = transformer_decoder_step(token, cache, p)
        assert cache.keys.shape == batch + (t + 1, 4) and cache.values.shape == batch + (t + 1, 5)
        np.testing.assert_allclose(logits, one_pass[..., t, :], rtol=0, atol=1e-12)
    x = p["embedding"][ids] + positional_encoding(5, 6)
    np.testing.assert_allclose(cache.keys, x @ p["W_k"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("token, cache, text", [
    (np.array([[1, 2]]), None, "token_ids: expected an int or \\(B,\\) ints"),
    (9, None, "token_ids: expected token ids in \\[0, V=9\\)"),
    (1, "cache", "cache: expected None or the KVCache"),
    (1, (np.zeros((2, 3)), np.zeros((2, 5))), "cache.keys: expected shape \\(t, d_k=4\\)"),
    (1, (np.zeros((2, 4)), np.zeros((3, 5))), "cache.values: expected shape \\(t=2, d_v=5\\)"),
])
def test_a_decoding_step_rejects_bad_input(token, cache, text):
    with pytest.raises(ValueError, match=text):
        transformer_decoder_step(token, cache, random_transformer_params(9, 6, 4, 5, rng=4))


def test_step_by_step_and_kv_cache_work_on_batches():
    p = params(1)
    ids = np.random.default_rng(1).integers(0, V, size=(3, 6))
    one_pass = transformer_decoder_forward(ids, p)
    np.testing.assert_allclose(transformer_decoder_step_by_step(ids, p), one_pass, rtol=0, atol=1e-12)
    np.testing.assert_allclose(transformer_decoder_kv_cache(ids, p), one_pass, rtol=0, atol=1e-12)


def test_teacher_forced_logits_at_t_do_not_depend_on_labels_at_t_or_later():
    p, labels = params(2), np.array([3, 8, 1, 9, 4, 6])
    logits = transformer_decoder_forward(shift_right(labels, 1, 0), p)
    changed = labels.copy()
    changed[3:] = [0, 0, 0]  # labels 3.. only reach inputs 4.., so rows 0..3 must not move
    again = transformer_decoder_forward(shift_right(changed, 1, 0), p)
    assert np.array_equal(logits[:4], again[:4]) and not np.allclose(logits[4:], again[4:])


def torch_decoder(input_ids, p):
    """The same decoder from torch modules, float64: nn.Embedding, the PE, sdpa, nn.Linear."""
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    emb = torch.nn.Embedding.from_pretrained(t["embedding"])
    T = input_ids.shape[-1]
    position = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, D, 2, dtype=torch.float64) * (-np.log(10000.0) / D))
    pe = torch.zeros(T, D, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(position * div), torch.cos(position * div)[:, :D // 2]
    x = emb(torch.from_numpy(input_ids)) + pe
    q, k, v = x @ t["W_q"], x @ t["W_k"], x @ t["W_v"]
    h = x + torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True) @ t["W_o"]
    out = torch.nn.Linear(D, V, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(t["W_y"].T)
        out.bias.copy_(t["b_y"])
        return out(h).numpy()


@needs_torch
@pytest.mark.parametrize("shape", [(9,), (2, 9)])
def test_decoder_equals_the_same_decoder_built_from_torch_modules(shape):
    p = params(5)
    ids = np.random.default_rng(5).integers(0, V, size=shape)
    np.testing.assert_allclose(transformer_decoder_forward(ids, p), torch_decoder(ids, p), rtol=0, atol=1e-12)


def test_free_running_feeds_back_its_own_greedy_tokens():
    p = params(6)
    logits = transformer_decoder_free_running(p, 1, 8)
    fed = np.concatenate([[1], logits.argmax(-1)[:-1]])
    assert logits.shape == (8, V)
    np.testing.assert_allclose(logits, transformer_decoder_forward(fed, p), rtol=0, atol=1e-12)


def test_decoders_do_not_modify_their_inputs():
    p, ids = params(), np.array([1, 2, 3])
    before = copy.deepcopy(p), ids.copy()
    for decode in (transformer_decoder_forward, transformer_decoder_step_by_step,
                   transformer_decoder_kv_cache):
        decode(ids, p)
    assert np.array_equal(ids, before[1])
    assert all(np.array_equal(p[k], before[0][k]) for k in p)


def _without(key):
    p = params()
    del p[key]
    return p


def _reshaped(key, shape):
    p = params()
    p[key] = np.zeros(shape)
    return p


@pytest.mark.parametrize("decode", [transformer_decoder_forward, transformer_decoder_step_by_step,
                                    transformer_decoder_kv_cache])
@pytest.mark.parametrize("ids, p, text", [
    ([1, 11], params(), "input_ids: expected token ids in [0, V=11), got 11"),
    ([1, -1], params(), "input_ids: expected token ids in [0, V=11), got -1"),
    ([1.0], params(), "input_ids: expected an integer array of token ids, shape (T,) or (B, T), "
                      "got list [1.0]"),
    ([1], _without("W_o"), "params: missing key(s) 'W_o'; expected keys 'embedding', 'W_q', 'W_k', "
                           "'W_v', 'W_o', 'W_y', 'b_y', got ['W_k', 'W_q', 'W_v', 'W_y', 'b_y', 'embedding']"),
    ([1], _reshaped("W_o", (D_V, D + 1)), "params['W_o']: expected shape (d_v=6, D=8), got (6, 9)"),
    ([1], _reshaped("W_k", (D, D_K + 1)), "params['W_k']: expected shape (D=8, d_k=5), got (8, 6)"),
    ([1], _reshaped("b_y", (V, 1)), "params['b_y']: expected shape (V=11,), got (11, 1)"),
    ([1], "weights", "params: expected a dict of parameter arrays, got str 'weights'"),
])
def test_decoders_reject_bad_input_naming_the_argument(decode, ids, p, text):
    with pytest.raises(ValueError, match=message(text)):
        decode(ids, p)


@pytest.mark.parametrize("args, text", [
    ((1, 0), "max_len: expected an integer >= 1, got int 0"),
    ((11, 3), "start_token_id: expected a token id in [0, V=11), got 11"),
    ((-2, 3), "start_token_id: expected an integer >= 0, got int -2"),
])
def test_free_running_rejects_bad_input(args, text):
    with pytest.raises(ValueError, match=message(text)):
        transformer_decoder_free_running(params(), *args)
