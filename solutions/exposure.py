"""The causal "I am learning" test of notebook 03: corrupt one fed token, measure what follows.

N is the number of sequences, T the output length, H the hidden size, V the vocabulary size.
"""
import numpy as np

from solutions.decoders import decoder_forward_teacher_forcing
from tfcourse.validate import as_float_array, check_count


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
