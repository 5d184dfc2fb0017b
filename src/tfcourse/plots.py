"""The notebooks' figures. Each function draws one figure and returns it (the caller shows it
with plt.show() and closes it). They plot numbers the notebook computed; none computes a
graded function.
"""
import matplotlib.pyplot as plt
import numpy as np

CELL_COLORS = {"rnn": "tab:blue", "lstm": "tab:orange", "gru": "tab:green"}


def plot_state_traces(traces):
    """One panel per cell: each hidden unit's value over the steps. traces: name -> (T, H)."""
    fig, axes = plt.subplots(1, len(traces), figsize=(4 * len(traces), 3), sharey=True,
                             squeeze=False)
    for ax, (name, states) in zip(axes[0], traces.items()):
        states = np.asarray(states)
        ax.plot(np.arange(len(states)), states, color=CELL_COLORS.get(name, "tab:gray"),
                alpha=0.8)
        ax.set_title(f"{name}: hidden units over time")
        ax.set_xlabel("step t")
        ax.axhline(0.0, color="black", linewidth=0.5)
    axes[0][0].set_ylabel("h_t")
    fig.tight_layout()
    return fig


def plot_shift_table(input_labels, target_labels, title="teacher forcing"):
    """A two-row table per step: the token fed in (top) and the token scored (bottom)."""
    T = len(target_labels)
    fig, ax = plt.subplots(figsize=(1.1 * T + 1.8, 1.9))
    ax.set_xlim(-1.6, T)
    ax.set_ylim(-0.5, 1.5)
    ax.axis("off")
    for t in range(T):
        ax.text(t + 0.45, 1.42, f"step {t}", ha="center", va="bottom", fontsize=9)
        for row, (label, color) in enumerate(((input_labels[t], "#dbe9f6"),
                                              (target_labels[t], "#fde2c8"))):
            y = 1 - row
            ax.add_patch(plt.Rectangle((t + 0.05, y - 0.4), 0.8, 0.8, color=color))
            ax.text(t + 0.45, y, label, ha="center", va="center", fontsize=11)
        if t + 1 < T:
            ax.annotate("", xy=(t + 1.1, 0.95), xytext=(t + 0.75, 0.05),
                        arrowprops=dict(arrowstyle="->", color="gray", lw=0.8))
    ax.text(-1.5, 1, "fed in $x_t$", va="center", fontsize=10)
    ax.text(-1.5, 0, "scored $y_t$", va="center", fontsize=10)
    ax.set_title(title, fontsize=11, pad=18)  # above the "step t" labels, not across them
    fig.tight_layout()
    return fig


def plot_position_errors(errors, title="error rate by position", second=None, second_title="",
                         bands=None):
    """Error rate per output position for each decoding mode. errors: label -> (T,) in [0, 1].

    `second`, in the same form, is drawn in a second panel (NaN marks a position with too
    few examples to show). `bands`: label -> (T,) half-widths of an interval around a curve
    of either panel, drawn as a shaded band.
    """
    panels = [(errors, title)] + ([(second, second_title)] if second is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 3.6), squeeze=False)
    for ax, (curves, heading) in zip(axes[0], panels):
        for label, rate in curves.items():
            rate = np.asarray(rate, dtype=float)
            line, = ax.plot(np.arange(len(rate)), rate, marker="o", label=label)
            if bands and label in bands:
                half = np.nan_to_num(np.asarray(bands[label], dtype=float))
                ax.fill_between(np.arange(len(rate)), rate - half, rate + half,
                                color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel("output position t")
        ax.set_ylabel("fraction of wrong tokens")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(heading, fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_schedules(curves, title="probability of feeding the true token"):
    """Decay schedules over training iterations. curves: label -> (iterations, eps values)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for label, (iterations, eps) in curves.items():
        ax.plot(iterations, eps, label=label)
    ax.set_xlabel("training iteration i")
    ax.set_ylabel("eps_i")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sampling_decisions(decisions, title="which input each step fed"):
    """A grid: one row per sampling_prob, one column per step; dark = the model's own token.

    decisions: label -> (T,) bool, True where the step fed the model's prediction
    (step 0 always feeds the start input and is drawn hatched).
    """
    labels = list(decisions)
    grid = np.array([np.asarray(decisions[k], dtype=float) for k in labels])
    fig, ax = plt.subplots(figsize=(0.45 * grid.shape[1] + 2.5, 0.45 * len(labels) + 1.3))
    ax.imshow(grid, cmap="Greys", vmin=-0.15, vmax=1.15, aspect="auto")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xlabel("step t (step 0 feeds the start input)")
    for row in range(len(labels)):
        ax.add_patch(plt.Rectangle((-0.5, row - 0.5), 1, 1, fill=False, hatch="//",
                                   edgecolor="tab:blue"))
    ax.set_title(title + "\n(black: the model's own token, white: the true token)", fontsize=10)
    fig.tight_layout()
    return fig
