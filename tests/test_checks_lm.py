"""Notebook 07's checks: right answers pass, every known mistake is named, the relations catch
a wrong loss, and the student-safe modules never import an answer."""
import ast
from pathlib import Path

import numpy as np
import pytest

import solutions
from autograder import cases_lm
from autograder.mistakes_lm import MISTAKES as WRONG
from solutions.tiny_gpt import gpt_forward
from tfcourse import checks_lm as checks
from tfcourse.checks_lm import MISTAKES, CheckFailed
from tests import checks_claims

ROOT = Path(__file__).resolve().parents[1]

# Mistakes a property check catches before any reference case, with the words it uses.
PROPERTY_MESSAGES = {"no_shift": "only the LAST position's logits changed"}

(test_the_reference_solution_passes_the_visible_and_hidden_checks, test_every_known_mistake_is_named,
 test_a_stub_is_reported_as_not_implemented) = checks_claims.tests(checks, cases_lm, WRONG,
                                                                   PROPERTY_MESSAGES)


def test_a_log_softmax_without_the_max_is_told_its_exp_overflowed_not_that_a_log_was_of_0():
    # review16b's causal_lm_loss__no_max_subtraction: z - log(sum(exp(z))) gives +inf, as the
    # log of an underflowed probability does; the message used to blame the latter
    def no_max(logits, labels, ignore_index=-100):
        z, y = logits[..., :-1, :], labels[..., 1:]
        logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
        keep = y != ignore_index
        nll = -np.take_along_axis(logp, np.where(keep, y, 0)[..., None], axis=-1)[..., 0]
        return float(nll[keep].sum() / keep.sum())
    with pytest.raises(CheckFailed) as failure:
        checks.check("causal_lm_loss", no_max)
    text = str(failure.value)
    assert "your loss is inf on logits of size 1e4 and inf on the same logits plus 1e4" in text
    assert "np.exp of a large logit overflowed to inf" in text and "underflow" not in text
    for cell in ("public", "hidden"):   # and the cases the grader judges fail it too, saying so
        cases = (cases_lm.public_reference("causal_lm_loss")["cases"] if cell == "public"
                 else cases_lm.hidden_cases("causal_lm_loss"))
        problems = [checks.run_case("causal_lm_loss", no_max, case, cell == "hidden")
                    for case in cases]
        first = next(p for p in problems if p)
        assert "np.exp of a raw logit overflowed to inf" in first, first


def test_a_softmax_without_the_max_is_told_it_overflowed_and_to_use_log_softmax():
    def no_max(logits, labels, ignore_index=-100):
        e = np.exp(logits[..., :-1, :])
        p = e / e.sum(-1, keepdims=True)
        t = labels[..., 1:]
        keep = t != ignore_index
        return float(-np.log(np.take_along_axis(p, np.where(keep, t, 0)[..., None], -1)[..., 0])[keep].mean())
    with pytest.raises(CheckFailed, match="np.exp of a large logit overflowed to inf") as failure:
        checks.check("causal_lm_loss", no_max)
    assert "z - max - log(sum(exp(z - max)))" in str(failure.value)


def test_the_log_of_a_softmax_that_underflowed_is_told_to_compute_log_softmax_directly():
    def log_of_softmax(logits, labels, ignore_index=-100):
        z = logits[..., :-1, :] - logits[..., :-1, :].max(-1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)      # stable softmax, then its log
        t = labels[..., 1:]
        keep = t != ignore_index
        return float(-np.log(np.take_along_axis(p, np.where(keep, t, 0)[..., None], -1)[..., 0])[keep].mean())
    with pytest.raises(CheckFailed, match="a probability underflowed to 0 and its log is -inf") as failure:
        checks.check("causal_lm_loss", log_of_softmax)
    text = str(failure.value)
    assert "z - max - log(sum(exp(z - max)))" in text and "did not overflow" in text
    problems = [checks.run_case("causal_lm_loss", log_of_softmax, case)
                for case in cases_lm.public_reference("causal_lm_loss")["cases"]]
    assert "a probability underflows to 0" in next(p for p in problems if p)


def test_generate_returning_the_prompt_too_is_told_to_return_only_new_tokens():
    def with_prompt(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        return np.concatenate([prompt_ids, solutions.generate(params, prompt_ids, max_new_tokens,
                                                              temperature, rng)], axis=-1)
    with pytest.raises(CheckFailed, match="return only the new ones"):
        checks.check("generate", with_prompt)


def test_generate_drawing_from_np_random_is_told_to_use_its_rng():
    def global_random(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        return solutions.generate(params, prompt_ids, max_new_tokens, temperature,
                                  np.random.randint(1 << 30))
    with pytest.raises(CheckFailed, match="draw from the rng you are given"):
        checks.check("generate", global_random)


def test_generate_drawing_an_extra_number_is_told_how_many_it_drew():
    def extra_draw(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        rng = np.random.default_rng(rng)
        rng.random()
        return solutions.generate(params, prompt_ids, max_new_tokens, temperature, rng)
    # its greedy case's tokens are right: the draw alone fails it, before any sampled case
    with pytest.raises(CheckFailed, match="Your tokens are right, but your function drew 1 "
                                          "number from rng; the reference draws 0: greedy"):
        checks.check("generate", extra_draw)
    sampled = [c for c in checks.load_reference("generate")["cases"] if c["spec"]["temperature"]]
    with pytest.raises(CheckFailed, match="Your function drew 6 numbers from rng; the reference "
                                          "draws 5: one rng"):
        checks.check_cases("generate", extra_draw, sampled)


def test_a_greedy_generate_that_draws_from_rng_is_failed_though_its_tokens_are_right():
    # review16b's generate__greedy_still_draws: rng.random() at every step, temperature 0 too
    def greedy_draws(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        rng = np.random.default_rng(rng)
        if temperature == 0:
            for _ in range(max_new_tokens):
                rng.random(np.shape(prompt_ids)[:-1])
        return solutions.generate(params, prompt_ids, max_new_tokens, temperature, rng)
    with pytest.raises(CheckFailed, match="Your tokens are right, but your function drew 6 "
                                          "numbers from rng; the reference draws 0: greedy "
                                          "decoding"):
        checks.check("generate", greedy_draws)


def test_the_relations_pass_for_the_reference_and_name_the_mistake_that_breaks_them(capsys):
    checks.check_loss_equals_step_losses(solutions.causal_lm_loss, gpt_forward)
    checks.check_two_forms_agree(solutions.causal_lm_loss, solutions.shift_right, gpt_forward)
    assert capsys.readouterr().out.count("\u2714") == 2
    for mistake in ("mean_of_means", "no_shift", "summed"):
        with pytest.raises(CheckFailed, match="per-step losses of step-by-step decoding") as err:
            checks.check_loss_equals_step_losses(WRONG["causal_lm_loss"][mistake], gpt_forward)
        assert checks._sentence(checks.MISTAKES[mistake]) in str(err.value), (mistake, str(err.value))
    for mistake in ("counts_ignored", "mean_of_means", "summed", "no_shift"):
        with pytest.raises(CheckFailed, match="the decoder-only form gives") as err:
            checks.check_two_forms_agree(WRONG["causal_lm_loss"][mistake], solutions.shift_right,
                                         gpt_forward)
        assert checks._sentence(checks.MISTAKES[mistake]) in str(err.value), (mistake, str(err.value))


def _reversed_shift(logits, labels, ignore_index=-100):
    """Pairs logits[..., 1:, :] with labels[..., :-1]: the shift the wrong way round."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    # no_shift pairs row t with label t; on these slices that is row t + 1 with label t
    return WRONG["causal_lm_loss"]["no_shift"](logits[..., 1:, :], labels[..., :-1], ignore_index)


def test_a_reversed_shift_is_told_it_paired_the_logits_one_position_late():
    with pytest.raises(CheckFailed) as failure:
        checks.check("causal_lm_loss", _reversed_shift)
    text = str(failure.value)
    assert "it scores nothing. You scored label t with the logits of position t + 1" in text, text
    assert MISTAKES["no_shift"] not in text
    with pytest.raises(CheckFailed) as failure:
        checks.check_loss_equals_step_losses(_reversed_shift, gpt_forward)
    assert "You scored label t with the logits of position t + 1" in str(failure.value)


def test_a_plain_missing_shift_is_told_it_scored_label_t_with_position_t_as_a_sentence():
    with pytest.raises(CheckFailed) as failure:
        checks.check("causal_lm_loss", WRONG["causal_lm_loss"]["no_shift"])
    assert "it scores nothing. You scored label t with the logits of position t." in str(failure.value)


def test_a_wrong_token_fed_back_is_told_the_loop_goes_wrong():
    from autograder import mistakes_lm
    from solutions.tiny_gpt import gpt_forward_cached

    def feed_next_id(prompt, new, n, cache, params):
        wrong = (new[..., n:n + 1] + 1) % params["wte"].shape[0]
        return gpt_forward_cached(wrong, params, cache)

    def generate_feeds_wrong_token(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        return mistakes_lm._generate(params, prompt_ids, max_new_tokens, temperature, rng, feed_next_id)
    with pytest.raises(CheckFailed, match="the first new token that differs is number [1-9]") as failure:
        checks.check("generate", generate_feeds_wrong_token)
    assert "the loop goes wrong: after choosing a token, feed THAT token" in str(failure.value)


def test_the_checks_never_import_solutions_or_the_autograder():
    for module in ("checks_lm", "gpt", "char_corpus", "lm_measure"):
        tree = ast.parse((ROOT / "src" / "tfcourse" / f"{module}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(m.split(".")[0] in ("solutions", "autograder") for m in imported), module


def test_generate_that_reruns_the_whole_sequence_is_told_it_does_not_use_the_cache():
    no_cache = _no_cache_through(gpt_forward)
    np.testing.assert_array_equal(*[f(*checks.make_args("generate", cases_lm.hidden_cases("generate")[0]["spec"])[0])
                                    for f in (no_cache, solutions.generate)])   # right tokens
    for run in (lambda: checks.check("generate", no_cache),
                lambda: checks.check_hidden("generate", no_cache,
                                            checks.pack(cases_lm.hidden_cases("generate")))):
        with pytest.raises(CheckFailed, match="fed 25 positions to the model, in calls of "
                                              r"\[3, 4, 5, 6, 7\]") as failure:
            run()
        assert "gpt_forward_cached(new[..., n:n + 1], params, cache)" in str(failure.value)
    assert gpt_forward.__name__ == "gpt_forward" and not hasattr(gpt_forward, "__wrapped__")


def _no_cache_through(forward):
    """A generate that reruns the whole sequence, reaching the model only through `forward`."""
    def no_cache(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        rng = np.random.default_rng(rng)
        ids = np.asarray(prompt_ids)
        for _ in range(max_new_tokens):
            token = solutions.lm.next_token(forward(ids, params)[..., -1, :], temperature, rng)
            ids = np.concatenate([ids, np.asarray(token)[..., None]], axis=-1)
        return ids[..., np.shape(prompt_ids)[-1]:]
    return no_cache


def _aliases():
    """The model reached under other names: an alias, a lambda, the module's attribute, a
    default argument bound before any check ran, a functools.partial."""
    import functools

    import solutions.tiny_gpt as model
    fwd = model.gpt_forward_cached
    return {"alias": lambda ids, params: fwd(ids, params)[0],
            "module attribute": lambda ids, params: model.gpt_forward(ids, params),
            "default argument": (lambda ids, params, f=model.gpt_forward: f(ids, params)),
            "partial": lambda ids, params: functools.partial(fwd, cache=None)(ids, params)[0]}


@pytest.mark.parametrize("how", list(_aliases()))
def test_generate_without_cache_is_caught_whatever_name_reaches_the_model(how):
    no_cache = _no_cache_through(_aliases()[how])
    for run in (lambda: checks.check("generate", no_cache),
                lambda: checks.check_hidden("generate", no_cache,
                                            checks.pack(cases_lm.hidden_cases("generate")))):
        with pytest.raises(CheckFailed, match=r"fed 25 positions to the model, in calls of "
                                              r"\[3, 4, 5, 6, 7\]"):
            run()


def test_an_aliased_forward_used_with_the_cache_passes(capsys):
    import solutions.tiny_gpt as model
    aliased = _cached_generate(feed_last=False, step=model.gpt_forward_cached)
    checks.check("generate", aliased)
    checks.check_hidden("generate", aliased, checks.pack(cases_lm.hidden_cases("generate")))
    assert capsys.readouterr().out.count("\u2714 generate matches") == 2


def test_generate_that_turns_off_the_profiler_is_failed():
    import sys

    def hides(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        sys.setprofile(None)
        return _no_cache_through(gpt_forward)(params, prompt_ids, max_new_tokens, temperature, rng)
    with pytest.raises(CheckFailed, match="changed the profiler"):
        checks.check("generate", hides)
    assert sys.getprofile() is None


def test_generate_that_never_runs_the_given_model_is_failed_saying_why():
    import threading

    def in_a_thread(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        out = []
        worker = threading.Thread(target=lambda: out.append(solutions.generate(
            params, prompt_ids, max_new_tokens, temperature, rng)))
        worker.start()
        worker.join()
        return out[0]
    with pytest.raises(CheckFailed, match="never ran the model's gpt_forward_cached"):
        checks.check("generate", in_a_thread)


def _cached_generate(feed_last, step=None):
    """A correct cached generate running the model as `step` (default gpt_forward_cached); with
    feed_last it also feeds the last token chosen."""
    from solutions.tiny_gpt import gpt_forward_cached
    step = step or gpt_forward_cached

    def cached(params, prompt_ids, max_new_tokens, temperature=0.0, rng=None):
        rng = np.random.default_rng(rng)
        logits, cache = step(np.asarray(prompt_ids), params)
        new = []
        for n in range(max_new_tokens):
            new.append(solutions.lm.next_token(logits[..., -1, :], temperature, rng))
            if feed_last or n + 1 < max_new_tokens:
                logits, cache = step(np.asarray(new[-1])[..., None], params, cache)
        return np.stack(new, axis=-1)
    return cached


@pytest.mark.parametrize("feed_last", [False, True])
def test_a_cached_generate_passes_whether_or_not_it_feeds_its_last_token(feed_last, capsys):
    cached = _cached_generate(feed_last)
    with checks._positions_fed() as fed:
        cached(*checks.make_args("generate", {"seed": 6, "V": 9, "prompt_len": 3,
                                              "max_new_tokens": 5, "temperature": 0.0,
                                              "rng_seed": 0})[0])
    assert fed == [3, 1, 1, 1, 1] + [1] * feed_last
    checks.check("generate", cached)
    checks.check_hidden("generate", cached, checks.pack(cases_lm.hidden_cases("generate")))
    assert capsys.readouterr().out.count("\u2714 generate matches") == 2


def test_one_position_calls_beyond_one_per_token_are_failed_without_calling_it_quadratic():
    with pytest.raises(CheckFailed, match=r"fed 9 positions to the model, in calls of "
                                          r"\[3, 1, 1, 1, 1, 1, 1\]") as failure:
        checks._check_cache_used([3, 1, 1, 1, 1, 1, 1], prompt_len=3, max_new_tokens=5)
    assert "quadratic" not in str(failure.value)
    checks._check_cache_used([3, 1, 1, 1, 1, 1], prompt_len=3, max_new_tokens=5)
    checks._check_cache_used([1, 1, 1, 1, 1, 1, 1], prompt_len=3, max_new_tokens=5)
    with pytest.raises(CheckFailed, match="quadratic"):
        checks._check_cache_used([3, 4], prompt_len=3, max_new_tokens=5)


def _held_out(slug):
    from autograder import heldout
    return next(a for a in heldout.held_out() if a.slug == slug).impl


@pytest.mark.parametrize("slug", ["one_draw_shared_by_batch", "temperature_multiplies"])
def test_a_named_generate_mistake_is_not_contradicted_by_where_the_first_token_differs(slug):
    # review16b: "the N tokens before it match, so ... the choice of a token is right" was said
    # before the named mistake, which is a wrong choice of a token
    with pytest.raises(CheckFailed) as failure:
        checks.check("generate", _held_out(slug))
    text = str(failure.value)
    assert "Known mistake" in text or "known mistake" in text, text
    assert "so the prompt's pass and the choice of a token are right" not in text, text


def test_the_first_differing_token_is_the_earliest_over_the_whole_batch():
    case = next(c for c in checks.load_reference("generate")["cases"] if c["spec"].get("B") == 3)
    expected = np.asarray(checks.decode(case["expected"]))
    got = expected.copy()
    got[0, 3] = (got[0, 3] + 1) % 7      # sequence 0 goes wrong at token 3,
    got[2, 1] = (got[2, 1] + 1) % 7      # sequence 2 earlier, at token 1
    text = checks.compare("generate", case, got, matched=[])
    assert "the first new token that differs is number 1 of sequence 2." in text, text
    assert "The 1 token before it match" in text
