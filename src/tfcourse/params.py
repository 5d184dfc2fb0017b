"""Random parameters in the decoder contract's layout, for examples, tests and reference data.

D is the input size, H the hidden size, V the vocabulary size. Weights are drawn
uniformly from [-scale, scale], PyTorch's default with scale = 1/sqrt(H).
"""
import numpy as np

from tfcourse.validate import GATES, check_cell_type, check_count, check_real, make_rng


def _check_scale(scale, H):
    """The weights' half-width: `scale` if it is a positive number, else 1/sqrt(H) for None."""
    if scale is None:
        return 1.0 / np.sqrt(H)
    return check_real("scale", scale, 0.0, low_open=True)


def random_cell_params(cell_type, D, H, rng=None, scale=None):
    """Return a `cell_type` cell's parameters: W_x (D, G*H), W_h (H, G*H) and b (G*H,)
    for rnn and lstm, or b_x and b_h (3H,) for gru. `rng` is a Generator, seed or None."""
    G = GATES[check_cell_type(cell_type)]
    D, H = check_count("D", D), check_count("H", H)
    scale = _check_scale(scale, H)
    rng = make_rng(rng)

    def draw(*shape):
        return rng.uniform(-scale, scale, size=shape)

    params = {"W_x": draw(D, G * H), "W_h": draw(H, G * H)}
    if cell_type == "gru":
        params.update(b_x=draw(G * H), b_h=draw(G * H))
    else:
        params["b"] = draw(G * H)
    return params


def random_decoder_params(cell_type, D, H, V, rng=None, scale=None):
    """Return a decoder's parameters: the cell's, plus W_y (H, V), b_y (V,),
    embedding (V, D) and start (D,), all drawn from one generator."""
    V = check_count("V", V)
    rng = make_rng(rng)
    params = random_cell_params(cell_type, D, H, rng, scale)
    scale = _check_scale(scale, H)
    params.update(W_y=rng.uniform(-scale, scale, (H, V)), b_y=rng.uniform(-scale, scale, V),
                  embedding=rng.normal(size=(V, D)), start=rng.normal(size=D))
    return params
