"""Reference two-pass scheduled sampling for the transformer decoder (Mihaylova & Martins, 2019).

T is the sequence length, B an optional batch size, V the vocabulary size. In a recurrent
decoder, scheduled sampling feeds step t the model's prediction from step t-1, which exists
only after step t-1 has run: the T steps are sequential. A transformer trained by teacher
forcing runs all T positions at once, and exact scheduled sampling would throw that away
(the prediction fed at position t depends on the inputs mixed in at positions < t, so the
positions would have to run one after another). The two-pass approximation keeps two
parallel passes instead:

1. run the decoder teacher-forced on the gold inputs (one pass);
2. take its predictions: position t-1's greedy (or sampled) token is the model's guess of
   the gold input at position t;
3. at each position t >= 1 draw u_t = rng.random(); feed the prediction where
   u_t < sampling_prob, the gold input otherwise (position 0 keeps the start token);
4. run the decoder again on the mixed inputs (one pass) and return those logits.

In training, the loss is taken on the second pass's logits and, as in the paper, gradients
flow only through the second pass: the first pass's predictions are constants.
"""
import numpy as np

from solutions.transformer import _forward, softmax
from tfcourse.transformer_params import check_token_ids, check_transformer_params
from tfcourse.validate import as_float_array, check_real, make_rng

PREDICTIONS = ("greedy", "sample")


def scheduled_sampling_inputs(input_ids, first_pass_logits, sampling_prob, rng=None,
                              predictions="greedy"):
    """Mix the gold decoder inputs with the model's first-pass predictions, token by token.

    input_ids: (T,) or (B, T) gold inputs, [start, y_0 .. y_{T-2}] (shift_right of the labels).
    first_pass_logits: (T, V) or (B, T, V), the teacher-forced logits of those inputs.
    Draws, in this order: coins u = rng.random((T-1,)) (or (B, T-1), row by row) for
    positions 1..T-1; then, only for predictions='sample', r = rng.random of the same shape,
    and position t's prediction is the first token whose cumulative softmax probability
    (of first_pass_logits[..., t-1, :]) exceeds r_t. 'greedy' takes the argmax (ties to the
    lowest id). Returns the mixed int64 ids, shaped like input_ids; position 0 is never changed.
    """
    input_ids = check_token_ids("input_ids", input_ids)
    T = input_ids.shape[-1]
    logits = as_float_array("first_pass_logits", first_pass_logits,
                            tuple(("B", n) for n in input_ids.shape[:-1]) + (("T", T), ("V", None)))
    if input_ids.max() >= logits.shape[-1]:
        raise ValueError(f"input_ids: expected token ids in [0, V={logits.shape[-1]}), "
                         f"got {input_ids.max()}")
    sampling_prob = check_real("sampling_prob", sampling_prob, 0.0, 1.0)
    rng = make_rng(rng)
    if predictions not in PREDICTIONS:
        raise ValueError(f"predictions: expected one of {', '.join(map(repr, PREDICTIONS))}, "
                         f"got {predictions!r}")
    # u in [0, 1): u < 0 never holds and u < 1 always does, so 0 and 1 are exact.
    coins = rng.random(input_ids.shape[:-1] + (T - 1,)) < sampling_prob
    guesses = logits[..., :-1, :]  # position t-1 guesses the gold input at position t
    if predictions == "greedy":
        predicted = np.argmax(guesses, axis=-1)
    else:
        cdf = np.cumsum(softmax(guesses), axis=-1)
        r = rng.random(input_ids.shape[:-1] + (T - 1,))
        predicted = np.minimum((cdf <= r[..., None]).sum(axis=-1), logits.shape[-1] - 1)
    mixed = input_ids.copy()
    mixed[..., 1:] = np.where(coins, predicted, input_ids[..., 1:])
    return mixed


def transformer_scheduled_sampling_two_pass(input_ids, params, sampling_prob, rng=None,
                                            predictions="greedy"):
    """Two-pass scheduled sampling: a teacher-forced pass, mix in its predictions, a second pass.

    input_ids: (T,) or (B, T) gold decoder inputs (shift_right of the labels); params: the
    decoder's (see solutions.transformer); sampling_prob in [0, 1]: the probability of
    feeding the model's prediction at each position t >= 1; rng: a numpy Generator, an int
    seed or None; predictions: 'greedy' or 'sample' (draws as in scheduled_sampling_inputs).
    Returns the second pass's logits (T, V) or (B, T, V). sampling_prob = 0 is teacher forcing
    exactly; sampling_prob = 1 feeds every prediction (not free running: each prediction was
    made from the gold prefix).
    """
    params = check_transformer_params(params)
    input_ids = check_token_ids("input_ids", input_ids, params["embedding"].shape[0])
    first = _forward(input_ids, params)
    mixed = scheduled_sampling_inputs(input_ids, first, sampling_prob, rng, predictions)
    return _forward(mixed, params)
