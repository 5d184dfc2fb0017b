"""Reference building blocks of earlier assignments: rnn_step, lstm_step, gru_step, decoder_forward_teacher_forcing, decoder_forward_free_running, recovery_curve.

Released with 04_scheduled_sampling after the deadlines of 01_recurrent_cells, 02_teacher_forcing, 03_free_running_and_exposure_bias. Generated in
the course repository, for instructors, by `python -m autograder build` from
solutions/. Do not edit: rebuild instead.
"""


import numpy as np
from tfcourse.contract import check_context, check_decoder_params, check_step, check_target
from tfcourse.validate import as_float_array, check_count


__all__ = ['rnn_step', 'lstm_step', 'gru_step', 'decoder_forward_teacher_forcing',
           'decoder_forward_free_running', 'recovery_curve']


def sigmoid(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def rnn_step(x, h_prev, params):
    """Run one step of a tanh RNN: h_next = tanh(x @ W_x + h_prev @ W_h + b).

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, H), W_h (H, H), b (H,).
    Returns h_next, shaped like h_prev.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "rnn")
    return np.tanh(x @ params["W_x"] + params["b"] + h_prev @ params["W_h"])


def lstm_step(x, h_prev, c_prev, params):
    """Run one step of an LSTM (gate blocks i, f, g, o).

    x: (D,) or (B, D); h_prev, c_prev: (H,) or (B, H);
    params: W_x (D, 4H), W_h (H, 4H), b (4H,). Returns (h_next, c_next), shaped like h_prev.
    """
    x, (h_prev, c_prev), params = check_step(x, {"h_prev": h_prev, "c_prev": c_prev},
                                             params, "lstm")
    a = x @ params["W_x"] + params["b"] + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    c_next = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def gru_step(x, h_prev, params):
    """Run one step of a GRU (gate blocks r, z, n), PyTorch's GRUCell.

    x: (D,) or (B, D); h_prev: (H,) or (B, H);
    params: W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,). Returns h_next, shaped like h_prev.
    The reset gate scales the hidden side's candidate term *after* W_hn and b_hn are
    applied, as PyTorch's GRUCell does (not before, as in Cho et al. 2014).
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "gru")
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev


def decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type='rnn'):
    """
    Run the decoder with teacher forcing: at each step, feed the true previous token as input.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        target_seq (np.ndarray): Ground-truth output sequence (seq_len x input_dim)
        decoder_params (dict): Decoder parameters (weights, biases, etc.)
        cell_type (str): 'rnn', 'lstm', or 'gru'
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h = check_context(context_vector, params)
    target_seq = check_target(target_seq, params)
    c = np.zeros_like(h)  # an LSTM's cell state starts at zeros
    logits = np.empty((len(target_seq), params["W_y"].shape[1]))
    x = params["start"]
    for t in range(len(target_seq)):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        x = target_seq[t]  # the true token y_t is step t+1's input
    return logits


def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type='rnn'):
    """
    Run the decoder free: at each step, feed the model's own previous (greedy) prediction.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        decoder_params (dict): Decoder parameters (weights, biases, embedding, start)
        seq_len (int): Number of steps to generate (>= 1)
        cell_type (str): 'rnn', 'lstm', or 'gru'
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h = check_context(context_vector, params)
    seq_len = check_count("seq_len", seq_len, minimum=1)
    c = np.zeros_like(h)
    logits = np.empty((seq_len, params["W_y"].shape[1]))
    x = params["start"]
    for t in range(seq_len):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        x = params["embedding"][np.argmax(logits[t])]  # ties go to the lowest id
    return logits


def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type='rnn'):
    """Measure how one wrong input changes a teacher-forced decoder's errors after it.

    context_vectors (N, H); target_ids (N, T) int, PAD (0) after each sequence's end;
    wrong_ids (N,) int. Each sequence is decoded twice with teacher forcing: clean (fed the
    true tokens), and corrupted (the same, except that the token fed at step k+1, the true
    target_ids[i, k], is replaced by wrong_ids[i]). A guess (the argmax of a step's logits)
    is an error where it differs from target_ids; PAD positions do not count. Returns
    (T-k-1,): entry d-1 is the corrupted runs' error rate at position k+d minus the clean
    runs' error rate there, over the sequences whose position k+d is not PAD (NaN if none is).
    """
    target_ids = np.asarray(target_ids)
    contexts = as_float_array("context_vectors", context_vectors, (("N", len(target_ids)), ("H", None)))
    if target_ids.ndim != 2 or target_ids.dtype.kind not in "iu":
        raise ValueError(f"target_ids: expected an int array (N, T), got {target_ids.dtype} array "
                         f"of shape {target_ids.shape}")
    N, T = target_ids.shape
    k = check_count("k", k, minimum=0)
    if k > T - 2:
        raise ValueError(f"k: expected 0 <= k <= T-2 = {T - 2} (a step must follow the corrupted "
                         f"input), got {k}")
    wrong_ids = np.asarray(wrong_ids)
    if wrong_ids.shape != (N,) or wrong_ids.dtype.kind not in "iu":
        raise ValueError(f"wrong_ids: expected an int array of shape (N,) = ({N},), got "
                         f"{wrong_ids.dtype} array of shape {wrong_ids.shape}")
    embedding = np.asarray(decoder_params["embedding"])
    errors = np.zeros((2, N, T), dtype=bool)
    for i in range(N):
        corrupted = target_ids[i].copy()
        corrupted[k] = wrong_ids[i]
        for run, fed in enumerate((target_ids[i], corrupted)):
            logits = decoder_forward_teacher_forcing(contexts[i], embedding[fed], decoder_params,
                                                     cell_type)
            errors[run, i] = np.argmax(logits, axis=1) != target_ids[i]
    real = target_ids[:, k + 1:] != 0
    n = real.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (errors[:, :, k + 1:] & real).sum(axis=1) / n
    return np.where(n > 0, rates[1] - rates[0], np.nan)
