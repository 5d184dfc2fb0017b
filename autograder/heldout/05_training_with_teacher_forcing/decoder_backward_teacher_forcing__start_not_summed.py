# Mistake: dparams['start'] is step 0's dx as it is: (B, D) with a batch, not summed over the batch to (D,).
import numpy as np

def decoder_backward_teacher_forcing(dlogits, cache):
    inputs, steps, hidden, params, cell_type = cache
    T = len(steps)
    H = hidden.shape[-1]
    V = dlogits.shape[-1]
    dparams = {k: np.zeros_like(v) for k, v in params.items()}
    dparams["W_y"] = hidden.reshape(-1, H).T @ dlogits.reshape(-1, V)
    dparams["b_y"] = dlogits.reshape(-1, V).sum(0)
    dh_hidden = dlogits @ params["W_y"].T
    dinputs = np.zeros_like(inputs)
    dh_carry = np.zeros_like(hidden[..., 0, :])
    for t in reversed(range(T)):
        dh = dh_hidden[..., t, :] + dh_carry
        dx, dh_carry, dp = gru_step_backward(dh, steps[t])
        for k in dp:
            dparams[k] += dp[k]
        dinputs[..., t, :] = dx
    dtarget = np.zeros_like(inputs)
    dtarget[..., :-1, :] = dinputs[..., 1:, :]
    dstart = dinputs[..., 0, :]
    dparams["start"] = dstart
    return dh_carry, dtarget, dparams
