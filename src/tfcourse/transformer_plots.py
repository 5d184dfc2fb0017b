"""Pictures for 06_teacher_forcing_in_transformers: a mask or attention weights as a grid, the
positional encodings.

Each function draws one figure from arrays it is given and returns it; none computes an answer.
"""
import matplotlib.pyplot as plt
import numpy as np


def plot_attention(matrices, titles, tokens=None):
    """Draw (T, T) matrices side by side (a mask, attention weights): row t = query position t,
    column j = key position j. `tokens` labels the positions. Returns the Figure."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 3.8), squeeze=False)
    for ax, matrix, title in zip(axes[0], matrices, titles):
        matrix = np.asarray(matrix, dtype=float)
        image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=max(1.0, float(matrix.max())))
        T = matrix.shape[0]
        labels = [str(t) for t in range(T)] if tokens is None else [f"{t}:{tok}" for t, tok in
                                                                    enumerate(tokens)]
        ax.set_xticks(range(T), labels, rotation=90, fontsize=8)
        ax.set_yticks(range(T), labels, fontsize=8)
        ax.set_xlabel("key position j (what is read)")
        ax.set_ylabel("query position t (who reads)")
        ax.set_title(title)
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def plot_positional_encoding(pe):
    """Draw a (T, D) positional encoding as a heat map. Returns the Figure."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    image = ax.imshow(np.asarray(pe).T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    ax.set_xlabel("position t")
    ax.set_ylabel("dimension (even: sin, odd: cos)")
    ax.set_title("sinusoidal positional encoding: fast waves in low dimensions, slow in high")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig
