"""Reference decoders: teacher forcing, free running and scheduled sampling.

D is the input (embedding) size, H the hidden size, V the vocabulary size, T the
number of output steps. Step t consumes an input x_t, updates the state, and emits
logits_t = h_t @ W_y + b_y, which scores the t-th target token y_t. The decoders
differ only in x_t for t >= 1:

    teacher forcing      x_t = target_seq[t-1]                      (the true previous token)
    free running         x_t = embedding[argmax(logits_{t-1})]      (the model's own guess)
    scheduled sampling   the model's guess if u_t < sampling_prob, else the true token,
                         with one draw u_t = rng.random() per step t = 1 .. T-1

and x_0 = start for all three.

Each decoder calls the public steps of notebook 01 (`rnn_step`, `lstm_step`, `gru_step`)
and shares no helper with another notebook's decoder: notebook 03 receives this module's
teacher-forced decoder in its `given.py`, notebook 04 the free-running one too, and neither
may hold a loop that nearly is the exercise (autograder/README.md). All three compute a
step's logits the same way, row by row, so scheduled sampling with sampling_prob 0 (or 1)
is bit for bit teacher forcing (or free running): a rounding difference could otherwise
flip an argmax between two nearly tied logits.
"""
import numpy as np

from solutions.cells import gru_step, lstm_step, rnn_step
from tfcourse.contract import check_context, check_decoder_params, check_target
from tfcourse.validate import check_count, check_real, make_rng


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


def decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params, sampling_prob,
                                       cell_type='rnn', rng=None):
    """
    Run the decoder with scheduled sampling: probabilistically use ground-truth or model prediction as next input.
    Args:
        context_vector (np.ndarray): Initial hidden state for the decoder (hidden_dim,)
        target_seq (np.ndarray): Ground-truth output sequence (seq_len x input_dim)
        decoder_params (dict): Decoder parameters (weights, biases, etc.)
        sampling_prob (float): Probability of using model prediction as next input.
        cell_type (str): 'rnn', 'lstm', or 'gru'
        rng (np.random.Generator | int | None): Source of the coin flips, one
            rng.random() per step t = 1 .. seq_len-1; an int is a seed, None a fresh generator.
    Returns:
        np.ndarray: Output logits for each step (seq_len x output_dim)
    """
    params = check_decoder_params(decoder_params, cell_type)
    h = check_context(context_vector, params)
    target_seq = check_target(target_seq, params)
    sampling_prob = check_real("sampling_prob", sampling_prob, 0.0, 1.0)
    # u < 0 never holds and u < 1 always does (u is in [0, 1)), so the two ends are
    # exactly teacher forcing and free running.
    feed_prediction = make_rng(rng).random(len(target_seq) - 1) < sampling_prob
    c = np.zeros_like(h)
    logits = np.empty((len(target_seq), params["W_y"].shape[1]))
    x = params["start"]
    for t in range(len(target_seq)):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (gru_step if cell_type == "gru" else rnn_step)(x, h, params)
        logits[t] = h @ params["W_y"] + params["b_y"]
        if t + 1 < len(target_seq):  # step t+1's input: the coin drawn for step t+1
            x = params["embedding"][np.argmax(logits[t])] if feed_prediction[t] else target_seq[t]
    return logits
