"""tfcourse/exposure_bias.py: the experiment command students have. Its training step's
gradients are right (finite differences), the replayed coins of the student-side backend feed
exactly what the decoder fed, a run is deterministic, and the command works from a release."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import solutions
from solutions import seq2seq
from tfcourse import exposure_bias as eb
from tfcourse import reproduce
from tfcourse.datasets import batch_pairs, load_task, load_vocab

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(D=3, H=5, max_steps=4, schedule_steps=4, eval_every=2, batch_size=4, corrupt_at=(1, 3))


def _slow_backend():
    """The student-side path: only the notebooks' single-sequence decoders, no batched ones."""
    module = SimpleNamespace(**{name: getattr(solutions, name)
                                for name in eb.REQUIRED + ("recovery_curve",)})
    return eb.Backend("slow", [module])


@pytest.fixture(scope="module")
def batch():
    vocab = load_vocab("keysum")
    return batch_pairs(load_task("keysum", "train")[:3], vocab), vocab


def test_the_solutions_backend_has_the_fast_paths_and_a_release_like_one_does_not():
    assert eb.load_backend("solutions").fast
    assert not _slow_backend().fast


def test_a_backend_missing_a_function_is_refused_by_name(tmp_path):
    (tmp_path / "mine.py").write_text("def decoder_forward_free_running(*a):\n    pass\n")
    with pytest.raises(ValueError, match="lacks .*decoder_forward_teacher_forcing_cache"):
        eb.load_backend(str(tmp_path / "mine.py"))


# What notebook 05 tells a student to write: its given.py and their own three functions (here the
# reference's stand in for theirs, imported from the repository on PYTHONPATH).
STUDENT_BACKEND = """from given import *
from solutions.training import masked_cross_entropy
from solutions.seq2seq import decoder_forward_teacher_forcing_cache, decoder_backward_teacher_forcing
"""


def _student_folder(folder):
    shutil.copy(ROOT / "notebooks" / "05_training_with_teacher_forcing" / "given.py", folder)
    (folder / "mine.py").write_text(STUDENT_BACKEND)
    return folder


def test_notebook_05s_given_module_and_the_students_three_functions_are_a_complete_backend(
        tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_student_folder(tmp_path)))
    try:
        backend = eb.load_backend(str(tmp_path / "mine.py"))
    finally:  # the next test's given.py must not be this one
        sys.modules.pop("given", None)
    assert all(callable(getattr(backend, name)) for name in eb.REQUIRED)
    assert callable(backend.recovery_curve)


@pytest.mark.parametrize("p", [0.0, 0.4, 1.0])
def test_replayed_coins_feed_what_the_scheduled_sampling_decoder_fed(batch, p):
    b, vocab = batch
    model = eb.init_model(len(vocab), b.source.shape[1], 3, 5, np.random.default_rng(1))
    context, _ = eb.encode(model["encoder"], b.source, b.source_mask)
    dec = model["decoder"]
    logits, _, fed = eb.sampling_forward(_slow_backend(), context, b.target, dec, p,
                                         np.random.default_rng(7))
    seeds = np.random.default_rng(7)
    for i in range(len(b.target)):
        expected = solutions.decoder_forward_scheduled_sampling(
            context[i], dec["embedding"][b.target[i]], dec, p, "gru",
            np.random.default_rng(int(seeds.integers(2 ** 63))))
        np.testing.assert_allclose(logits[i], expected, rtol=1e-10, atol=1e-12)
    if p == 0.0:
        np.testing.assert_array_equal(fed, b.target[:, :-1])
    if p == 1.0:
        free, _ = seq2seq.greedy_decode(context, dec, b.target.shape[1], "gru")
        np.testing.assert_array_equal(fed, free[:, :-1])


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_the_training_steps_gradients_match_finite_differences(batch, p):
    b, vocab = batch
    backend = eb.load_backend("solutions")
    model = eb.init_model(len(vocab), b.source.shape[1], 3, 4, np.random.default_rng(2))
    _, grads = eb.train_step(backend, model, b, p, np.random.default_rng(0))
    rng = np.random.default_rng(3)
    for part, key in (("encoder", "E"), ("encoder", "b"), ("decoder", "embedding"),
                      ("decoder", "start"), ("decoder", "W_h"), ("decoder", "b_y")):
        param = model[part][key]
        for flat in rng.choice(param.size, size=min(4, param.size), replace=False):
            index = np.unravel_index(flat, param.shape)
            old = param[index]
            losses = []
            for delta in (1e-6, -1e-6):
                param[index] = old + delta
                losses.append(eb.train_step(backend, model, b, p, np.random.default_rng(0))[0])
            param[index] = old
            numeric = (losses[0] - losses[1]) / 2e-6
            assert grads[part][key][index] == pytest.approx(numeric, rel=1e-4, abs=1e-7), (part, key)


def test_a_run_is_deterministic_and_shaped_by_regime_and_seed():
    backend = eb.load_backend("solutions")
    regimes = ("teacher forcing", "uniform 0.5")
    first = eb.run_experiment(backend, TINY, seeds=(0, 1), regimes=regimes, print_fn=None)
    second = eb.run_experiment(backend, TINY, seeds=(0, 1), regimes=regimes, print_fn=None)
    for key in ("loss", "val_loss", "fr_acc", "recovery", "tf_model_W_h"):
        np.testing.assert_array_equal(first[key], second[key])
    assert first["loss"].shape == (2, 2, 4)
    assert first["recovery"].shape == (2, 2, 2, 21)
    assert np.all(first["count"] == 200)
    # Every regime starts from the same model: the same validation loss before training.
    assert first["val_loss"][0, 0, 0] == first["val_loss"][1, 0, 0]
    np.testing.assert_array_equal(first["sampling_prob"][1], 0.5)


def test_merging_one_part_per_regime_and_seed_gives_the_run_of_all(tmp_path):
    backend = eb.load_backend("solutions")
    whole = eb.run_experiment(backend, TINY, seeds=(0, 1), regimes=eb.REGIMES[:2], print_fn=None)
    paths = []
    for regime in reversed(eb.REGIMES[:2]):        # any order of parts gives the same log
        for seed in (1, 0):
            part = eb.run_experiment(backend, TINY, seeds=(seed,), regimes=(regime,), print_fn=None)
            paths.append(eb.save(part, tmp_path / f"{regime}{seed}.npz"))
    merged = eb.merge(paths)
    assert list(merged["regimes"]) == list(eb.REGIMES[:2]) and list(merged["seeds"]) == [0, 1]
    for key in ("loss", "val_loss", "recovery", "plateaued", "tf_acc", "tf_exact", "stopped_at",
                "tf_model_W_x", "tf_test_context"):
        np.testing.assert_array_equal(merged[key], whole[key])
    with pytest.raises(ValueError, match="no part holds 'always sampling', seed 1"):
        eb.merge(paths[1:])
    with pytest.raises(ValueError, match="seed 1 is in two parts"):
        eb.merge(paths + paths[:1])


def test_the_plateau_criterion_takes_a_window_and_refuses_a_divergence():
    flat = np.array([2.0, 1.0, 0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.299])
    assert eb.plateaued(flat, 5)
    assert not eb.plateaued(flat[:5], 5)                 # no evaluations before the window
    assert eb.plateaued(np.r_[flat, np.nan, np.nan], 5)  # NaN after a run stopped is ignored
    assert not eb.plateaued(np.linspace(2.0, 0.1, 11), 5)
    assert not eb.plateaued(np.r_[flat[:6], np.full(5, 0.6)], 5)   # the loss rose: diverged


def test_the_step_size_halves_after_patience_evaluations_without_a_one_percent_gain():
    step_size = eb.StepSize(0.01, patience=2)
    assert [step_size.update(v) for v in (1.0, 0.5, 0.499, 0.498, 0.4, 0.399, 0.398)] == [
        0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025]


def test_training_stops_on_the_plateau_but_not_before_the_schedules_end():
    backend = eb.load_backend("solutions")
    data, vocab = eb.load_data("keysum")
    settings = dict(eb.SETTINGS, **dict(TINY, lr=1e-12, max_steps=40, plateau_window=2))  # loss stays put
    _, log = eb.train_one(backend, data, vocab, "scheduled (linear)", 0, settings)
    assert int(log["stopped_at"]) == 4 == np.sum(np.isfinite(log["loss"]))
    assert np.sum(np.isfinite(log["val_loss"])) == 3 and len(log["val_loss"]) == 21
    assert eb.plateaued(log["val_loss"], 2)
    settings.update(schedule_steps=10)
    _, log = eb.train_one(backend, data, vocab, "scheduled (linear)", 0, settings)
    assert int(log["stopped_at"]) == 10


def test_a_run_keeps_the_weights_of_its_best_validation_loss():
    backend = eb.load_backend("solutions")
    data, vocab = eb.load_data("keysum")
    settings = dict(eb.SETTINGS, **dict(TINY, lr=0.05, max_steps=12, eval_every=2))
    model, log = eb.train_one(backend, data, vocab, "teacher forcing", 0, settings)
    best = int(np.nanargmin(log["val_loss"]))
    assert int(log["best_step"]) == 2 * best
    context, _ = eb.encode(model["encoder"], data["val"].source, data["val"].source_mask)
    logits = eb.teacher_forced_logits(backend, context, data["val"].target, model["decoder"])
    loss = backend.masked_cross_entropy(logits, data["val"].target, data["val"].target_mask)[0]
    assert loss == log["val_loss"][best]


def test_a_run_that_reaches_the_cap_says_it_did_not_plateau():
    log = eb.run_experiment(eb.load_backend("solutions"), dict(TINY, lr=0.05), seeds=(0,),
                            regimes=("teacher forcing",), print_fn=None)
    assert int(log["stopped_at"][0, 0]) == TINY["max_steps"] and not log["plateaued"][0, 0]


def test_the_inverse_sigmoid_k_puts_one_half_halfway():
    backend = eb.load_backend("solutions")
    for n in (100, 3000):
        probs = eb.schedules(backend, n)
        for name in eb.REGIMES[3:]:
            assert probs[name](n / 2) == pytest.approx(0.5, abs=1e-9), name
            assert probs[name](0) < 0.1 and probs[name](n - 1) > 0.7, name


def test_the_command_runs_from_a_release_folder_with_the_students_own_module(tmp_path):
    """A student's path: notebook 05's folder, a file of their own that imports its given.py."""
    _student_folder(tmp_path)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", TFCOURSE_DATA=str(ROOT / "data"),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "tfcourse.exposure_bias", "--backend", "mine.py",
                           "--seeds", "0", "--regimes", "uniform 0.5", "--steps", "100",
                           "--out", "mine.npz"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "100.0%" in proc.stdout
    with np.load(tmp_path / "mine.npz") as log:
        assert log["loss"].shape == (1, 1, 100) and np.isfinite(log["loss"]).all()
    assert '"numpy"' in (tmp_path / "mine.versions.json").read_text()


# ----------------------------------------------------------------------------- the logged run

LOGGED = ROOT / "data" / "experiments" / "exposure_bias_keysum.npz"
TEMPLATES = ROOT / "autograder" / "templates"


@pytest.fixture(scope="module")
def logged():
    with np.load(LOGGED) as stored:
        return {key: stored[key] for key in stored.files}


def _settings(log):
    return {key: (log[key].tolist() if np.ndim(log[key]) else log[key].item()) for key in eb.SETTINGS}


def test_the_logged_runs_first_steps_reproduce(logged):
    """Teacher forcing, first seed, retrained for its first 300 steps: every loss and validation
    loss to 1e-12 where the log was made; elsewhere (another numpy, BLAS or CPU rounds the last
    bit differently, and training amplifies it: tfcourse.reproduce) the first 50 training losses
    to 1e-9 and the step-300 validation loss within 0.05."""
    settings = dict(_settings(logged), max_steps=300)
    data, vocab = eb.load_data(settings["task"])
    regime, seed = list(eb.REGIMES).index("teacher forcing"), int(logged["seeds"][0])
    _, fresh = eb.train_one(eb.load_backend("solutions"), data, vocab, "teacher forcing", seed,
                            settings)
    stored_loss, stored_val = logged["loss"][regime, 0, :300], logged["val_loss"][regime, 0, :4]
    here = not reproduce.differences(reproduce.recorded(LOGGED))
    if here:
        np.testing.assert_allclose(fresh["loss"], stored_loss, rtol=0, atol=1e-12)
        np.testing.assert_allclose(fresh["val_loss"][:4], stored_val, rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(fresh["loss"][:50], stored_loss[:50], rtol=0, atol=1e-9)
        assert abs(fresh["val_loss"][3] - stored_val[3]) <= 0.05, reproduce.differences(
            reproduce.recorded(LOGGED))


def test_the_logged_run_is_every_regime_with_its_versions_and_says_where_each_run_stopped(logged):
    assert list(logged["regimes"]) == list(eb.REGIMES)
    assert set(reproduce.recorded(LOGGED)) == set(reproduce.environment())
    assert "tfcourse.exposure_bias" in json.loads(reproduce.versions_path(LOGGED).read_text())["made by"]
    assert np.all(logged["count"] == 200)
    settings = _settings(logged)
    for r in range(len(logged["regimes"])):
        for j in range(len(logged["seeds"])):
            val, stopped = logged["val_loss"][r, j], int(logged["stopped_at"][r, j])
            n_evals = int(np.sum(np.isfinite(val)))
            assert np.all(np.isfinite(val[:n_evals])) and n_evals == stopped // settings["eval_every"] + 1
            assert np.sum(np.isfinite(logged["loss"][r, j])) == stopped
            assert logged["plateaued"][r, j] == eb.plateaued(val, settings["plateau_window"])
            # A run stops on a plateau (not before the schedules end) or at the cap.
            assert (logged["plateaued"][r, j] and stopped >= settings["schedule_steps"]
                    or stopped == settings["max_steps"])


def test_the_notebooks_prose_states_the_logged_runs_settings(logged):
    """The numbers notebooks 03 and 05 write in Markdown (not formatted from the log) are the
    log's and the module's (the number of seeds and its t-factor are printed from the log)."""
    text05 = " ".join((TEMPLATES / "05_training_with_teacher_forcing.md").read_text().split())
    text03 = " ".join((TEMPLATES / "03_free_running_and_exposure_bias.md").read_text().split())
    s = _settings(logged)
    assert f"every {s['eval_every']} steps" in text05 and f"the same {logged['count'][0, 0, 0]} test keys" in text05
    window = f"last {s['plateau_window']} measurements ({s['plateau_window'] * s['eval_every']} steps)"
    assert window in text05
    assert f"within {eb.PLATEAU_REL:.0%} (plus {eb.PLATEAU_ABS} nats)" in text05
    assert f"whenever {s['patience']} measurements" in text05
    assert eb.LR_FACTOR == 0.5 and f"by {eb.LR_MIN_GAIN:.0%}" in text05
    assert len(s["corrupt_at"]) == 4 and "four values of k" in text03
    assert f"the {logged['count'][0, 0, 0]} test keys" in text03


def test_the_nll_per_position_is_the_backends_masked_cross_entropy_at_that_position():
    """tfcourse scores no token itself (the loss is an exercise); what it logs equals the NLL."""
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(5, 4, 7)) * 30, rng.integers(0, 7, size=(5, 4))
    mask = np.arange(4) < rng.integers(1, 5, size=(5, 1))
    acc, nll = eb.per_position(eb.load_backend("solutions"), logits, target, mask)
    log_p = logits - logits.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    token = -np.take_along_axis(log_p, target[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(nll, (token * mask).sum(0) / mask.sum(0), rtol=1e-12)
    np.testing.assert_array_equal(acc, ((logits.argmax(-1) == target) & mask).sum(0) / mask.sum(0))
