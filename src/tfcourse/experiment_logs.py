"""Read and show the logged exposure-bias experiment (05_training_with_teacher_forcing)
from data/experiments/.

    from tfcourse.experiment_logs import load_experiment, plot_training_curves, results_table
    exp = load_experiment("reverse", "gru")
    plot_training_curves(exp); print(results_table(exp))

The file is written in the course repository, for instructors, by
`python scripts/exposure_bias.py --save` (the same GRU encoder-decoder trained under six input
regimes, seeded); tests/test_exposure_bias.py reruns it and checks that every number reproduces.
R is the number of regimes, n the number of training steps, m the number of evaluations, T the
output length.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from tfcourse.paths import data_dir
from tfcourse.pretrained import read_npz
from tfcourse.validate import _describe

REMAKE = ("get the course's data/ folder again (in the course repository, for instructors, "
          "`python scripts/exposure_bias.py --save` remakes it)")
FIELDS = ("regimes", "steps", "eval_steps", "loss", "sampling_prob", "val_exact", "test_exact",
          "test_token", "test_token_teacher", "test_by_position")


def load_experiment(task="reverse", cell_type="gru", root=None):
    """Return the logged run as a dict of arrays.

    regimes (R,) str; steps (n,); loss and sampling_prob (R, n), the training loss and the
    probability of feeding the model's own token at each step; eval_steps (m,); val_exact (R, m),
    free-running exact match on the validation split; test_exact, test_token (free running)
    and test_token_teacher (R,); test_by_position (R, T), free-running accuracy by position;
    and the settings (task, cell_type, D, H, n_steps, lr, batch_size, eval_every, seed).
    """
    for name, value in (("task", task), ("cell_type", cell_type)):
        if not isinstance(value, str):
            raise ValueError(f"{name}: expected a str, got {_describe(value)}")
    root = Path(data_dir() if root is None else root)
    path = root / "experiments" / f"exposure_bias_{task}_{cell_type}.npz"
    if not path.is_file():
        have = sorted(p.stem for p in (root / "experiments").glob("exposure_bias_*.npz"))
        raise ValueError(f"task, cell_type: no logged experiment {path.name} in {path.parent}; "
                         f"available: {', '.join(have) or 'none'}; {REMAKE}")
    out = read_npz(path, REMAKE)
    missing = [key for key in FIELDS if key not in out]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; {REMAKE}")
    out["regimes"] = [str(name) for name in out["regimes"]]
    return out


def smooth(values, window=25):
    """Moving average over `window` steps (shorter at the start), to read noisy loss curves."""
    values = np.asarray(values, dtype=float)
    cumsum = np.cumsum(np.concatenate([[0.0], values]))
    lo = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (cumsum[1:] - cumsum[lo]) / (np.arange(1, len(values) + 1) - lo)


def plot_training_curves(exp):
    """Three panels against training steps: training loss (smoothed), free-running exact match
    on validation, and the sampling probability each regime used. Returns the figure."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    for k, name in enumerate(exp["regimes"]):
        style = dict(label=name, color=f"C{k}", linestyle="-" if k < 3 else "--")
        axes[0].plot(exp["steps"], smooth(exp["loss"][k]), **style)
        axes[1].plot(exp["eval_steps"], exp["val_exact"][k], marker=".", **style)
        axes[2].plot(exp["steps"], exp["sampling_prob"][k], **style)
    for ax, title, ylabel in zip(axes, (
            "training loss (on the inputs each regime fed)", "validation exact match, free running",
            "sampling_prob = 1 - eps_i (own token fed)"), ("cross-entropy", "exact match", "probability")):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training step")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[2].set_ylim(-0.03, 1.03)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def results_table(exp):
    """A Markdown table: one row per regime, the final scores (test split unless named)."""
    rows = ["| regime | val exact match (last eval) | test exact match | test token acc., free running "
            "| test token acc., teacher-forced |", "| --- | --- | --- | --- | --- |"]
    for k, name in enumerate(exp["regimes"]):
        rows.append(f"| {name} | {exp['val_exact'][k][-1]:.3f} | {exp['test_exact'][k]:.3f} | "
                    f"{exp['test_token'][k]:.3f} | {exp['test_token_teacher'][k]:.3f} |")
    return "\n".join(rows)
