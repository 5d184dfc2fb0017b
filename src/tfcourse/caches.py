"""The caches that the course's forward passes keep for their backward passes
(05_training_with_teacher_forcing), and the KV cache of a transformer decoding step by step
(06_teacher_forcing_in_transformers).

Plain containers (NamedTuples), no computation: a forward pass fills one, its backward pass
reads it. They live here, in the student-safe package, so that a student's forward, the
reference backward and the graders all agree on what a cache holds.

D is the input size, H the hidden size, T the number of steps, and every array may carry a
leading batch axis B: x (D,) or (B, D), states and gates (H,) or (B, H).
"""
from typing import NamedTuple

import numpy as np


class RNNCache(NamedTuple):
    """What rnn_step_backward needs: the input x, h_prev, h_next and the params."""
    x: np.ndarray
    h_prev: np.ndarray
    h_next: np.ndarray
    params: dict


class LSTMCache(NamedTuple):
    """What lstm_step_backward needs: x, h_prev, c_prev, the activated gates i, f, g, o,
    c_next and the params."""
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c_next: np.ndarray
    params: dict


class GRUCache(NamedTuple):
    """What gru_step_backward needs: x, h_prev, the gates r, z, n,
    h_n = h_prev @ W_hn + b_hn (the term r scales) and the params."""
    x: np.ndarray
    h_prev: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h_n: np.ndarray
    params: dict


class DecoderCache(NamedTuple):
    """What decoder backpropagation needs.

    inputs (..., T, D): the inputs x_t that were fed; steps: T step caches (RNNCache,
    LSTMCache or GRUCache, batched like the inputs); hidden (..., T, H): h_1 .. h_T;
    params: the decoder parameters (float64 arrays); cell_type: 'rnn', 'lstm' or 'gru'.
    """
    inputs: np.ndarray
    steps: list
    hidden: np.ndarray
    params: dict
    cell_type: str


class KVCache(NamedTuple):
    """A transformer decoder's keys (..., t, d_k) and values (..., t, d_v) of the t positions
    decoded so far (transformer_decoder_step, 06_teacher_forcing_in_transformers): position t
    attends over them and its own key and value, which the step appends. The tiny GPT of
    07_teacher_forcing_in_language_models keeps one such pair per block: keys and values are
    then tuples of (..., n_head, t, d_head) arrays."""
    keys: np.ndarray
    values: np.ndarray
