#!/usr/bin/env python3
"""How often a wrong answer's message names the mistake that made it (the diagnosis rate).

    python scripts/diagnosis_rate.py              # the figures the README states
    python scripts/diagnosis_rate.py --doubles 60 # more double mutations per function
    python scripts/diagnosis_rate.py --held-out   # also list each held-out answer's message
    python scripts/diagnosis_rate.py --function gru_step_forward --verbose  # which ones missed

Wrong answers, per graded function of notebooks 01-07 (autograder/mutations):
- every single mutation of the reference (cell mutations composed into the decoders), except
  those that compute the right answer on every case (not wrong) or raise on every case (the
  message is the error); a forward of notebook 05 that returns the right output with a wrong
  cache is wrong (its check fails on the cache);
- `--doubles` double mutations drawn (seed 0) from the pairs of single ones;
- the hand-written mistakes of autograder/mistakes.py and mistakes_transformer.py /
  mistakes_lm.py, written apart from the mutation operators;
- the reviewer's wrong answers of autograder/heldout/ (written by someone who had seen neither
  the operators nor their sentences), named when the message holds a sentence that
  autograder/heldout/names.tsv judges right for it.
Each answer is matched as the grader matches it (tfcourse.checks.matching_mutants over the
public and hidden cases, with the outputs and sentences the course ships and packs) and as
the visible check does (public cases only, for answers that fail one). It is *named* when the
message's sentences include the one of a mutation that made it (for a double: of one of its
two), *misnamed* when the message names a mistake and none of those, *unnamed* when the
message only says where the answer differs. `one of these` counts answers named among
several sentences. For a hand-written mistake the sentence it always had is the right one.
Only the mutants' sentences count as names: what a check says from a test of its own (a result
of the wrong dtype, an argument changed in place, a softmax that overflows) is not counted,
and an answer that raises is left out (its message is the error).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import importlib  # noqa: E402

from autograder import cases, heldout, mistakes, mistakes_lm, mistakes_transformer, mutations  # noqa: E402
from autograder.build import hidden_backend  # noqa: E402
from tfcourse import checks  # noqa: E402

HAND_WRITTEN = {**mistakes.MISTAKES, **mistakes_transformer.MISTAKES, **mistakes_lm.MISTAKES}


def _checks(name):
    return importlib.import_module(hidden_backend(name)[1])


def _results(impl, name, case_list):
    return mutations.outputs(impl, name, case_list, _checks(name).case_args)


def sentences(name, case_list, results):
    found = _checks(name).matching_mutants(name, case_list, results)
    texts = {}
    for case in case_list:
        texts.update(case.get("diagnoses") or {})
    return list(dict.fromkeys(texts.get(m) or _checks(name).MISTAKES.get(m, m) for m in found))


def _wrong(name, case_list, results):
    """True if some case is answered and not right (a check would fail with a message)."""
    for case, got in zip(case_list, results):
        if got is None:
            continue
        try:
            if _checks(name).compare(name, case, got, hidden=True, matched=[]) is not None:
                return True
        except checks.CheckFailed:  # not even the right kind of result
            return True
    return False


def _decoded(name, case_list):
    """The cases with their outputs decoded once (matching decodes whatever is still encoded)."""
    if hidden_backend(name)[0] is not cases:  # 06-07's checks decode their own encoding
        return case_list
    for case in case_list:
        case["expected"] = checks.decode(case["expected"])
        case["mistakes"] = {m: None if out is None else checks.decode(out)
                            for m, out in case.get("mistakes", {}).items()}
    return case_list


def _how(name, case_list, results):
    """'' for a wrong answer the tallies count, else why they leave it out."""
    raised = sum(r is None for r in results)
    if raised:  # the message is the error (the rows of the cases it answered are not judged)
        return f"raises on {raised} of {len(results)} cases"
    return "" if _wrong(name, case_list, results) else "passes every case"


class Tally:
    def __init__(self):
        self.named = self.several = self.misnamed = self.unnamed = 0
        self.missed = []  # (answer's id, "unnamed" or "misnamed", what the message said)

    def add(self, said, right, label=None):
        if not said:
            self.unnamed += 1
            self.missed.append((label, "unnamed", said))
        elif set(said) & set(right):
            self.named += 1
            self.several += len(said) > 1
        else:
            self.misnamed += 1
            self.missed.append((label, "misnamed", said))

    @property
    def total(self):
        return self.named + self.misnamed + self.unnamed

    def line(self, what):
        n = max(self.total, 1)
        return (f"{what}: {self.total} wrong answers, named {self.named} "
                f"({100 * self.named / n:.1f}%; {self.several} of them as one of several), "
                f"misnamed {self.misnamed} ({100 * self.misnamed / n:.1f}%), "
                f"unnamed {self.unnamed}")


def measure(functions, n_doubles, seed=0, record=None, listing=None):
    """{channel: Tally} over `functions`; `record` (a list) gets (channel, answer's id,
    sentences said) of every wrong answer; `listing` (a list) gets (held-out answer, the ids
    matched, whether a check fails it). A wrong answer is one that a check fails, on its output
    or on anything else it returns (a forward's cache)."""
    tallies = {k: Tally() for k in ("single, grader", "single, visible check",
                                    "double, grader", "hand-written, grader",
                                    "held-out (reviewer), grader",
                                    "held-out (reviewer), visible check")}
    reviewed = [h for h in heldout.held_out() if h.function in functions]
    for name in functions:
        backend = hidden_backend(name)[0]
        public = _decoded(name, checks.load_reference(name)["cases"])
        # a timed case is matched on by no one (its mutants' outputs are not stored)
        every = [c for c in public + _decoded(name, backend.hidden_cases(name))
                 if not c.get("timed")]
        text_of = {m.id: m.text for m in mutations.singles(name)}
        kept = {m.id: k for k, m in enumerate(backend.mutants(name))}
        _, by_case = (cases.catalogue(name, cases.VISIBLE[name] + cases.HIDDEN[name], cases._args,
                                      cases.reference_result) if backend is cases
                      else backend.catalogue(name) if hasattr(backend, "catalogue")
                      else backend._tools.catalogue(name))
        # the catalogue ran each kept mutant on every case already; its outputs, in `every` order
        stored = [by_case[mutations.case_key(c)]
                  for c in backend.VISIBLE[name] + backend.HIDDEN[name] if not c.get("timed")]

        def judge(impl, right, kind, label, got=None):
            got = got or _results(impl, name, every)
            if all(g is None for g in got) or not _wrong(name, every, got):
                return
            said = {f"{kind}, grader": sentences(name, every, got)}
            if kind != "double" and kind != "hand-written" and _wrong(name, public,
                                                                      got[:len(public)]):
                said[f"{kind}, visible check"] = sentences(name, public, got[:len(public)])
            for channel, texts in said.items():
                tallies[channel].add(texts, right, label)
                if record is not None:
                    record.append((channel, label, texts))

        for mutant in mutations.singles(name):
            k = kept.get(mutant.id)
            judge(mutant.impl, [mutant.text], "single", mutant.id,
                  None if k is None else [outputs[k] for outputs in stored])
        for mutant in mutations.doubles(name, n_doubles, seed):
            judge(mutant.impl, [text_of[p] for p in mutant.parts], "double", mutant.id)
        known = _checks(name).MISTAKES
        for mistake, impl in HAND_WRITTEN.get(name, {}).items():
            judge(impl, [known[mistake]], "hand-written", f"{name}:{mistake}")
        for answer in (h for h in reviewed if h.function == name):
            # names.tsv holds mutant ids or their prefixes (an operator's every site), or keys
            # of the checks' MISTAKES
            right = [text for i, text in text_of.items()
                     if any(i.startswith(n) for n in answer.names)]
            right += [known[n] for n in answer.names if n in known]
            judge(answer.impl, right, "held-out (reviewer)", f"{name}__{answer.slug}")
            if listing is not None:
                got = _results(answer.impl, name, every)
                listing.append((answer, _checks(name).matching_mutants(name, every, got),
                                _how(name, every, got)))
    return tallies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doubles", type=int, default=20, help="double mutations per function")
    parser.add_argument("--function", action="append", help="only these graded functions")
    parser.add_argument("--verbose", action="store_true",
                        help="list the single and hand-written answers left unnamed or misnamed, "
                             "the misnamed doubles, and what their messages said")
    parser.add_argument("--held-out", action="store_true",
                        help="list every held-out answer: its mistake, the ids its message "
                             "matched, the ids judged right, and how its reviewer classed the "
                             "grader's message")
    args = parser.parse_args(argv)
    listing = [] if args.held_out else None
    with np.errstate(all="ignore"):
        tallies = measure(args.function or mutations.FUNCTIONS, args.doubles, listing=listing)
    for answer, found, how in listing or ():
        seen = answer.reviewed
        print(f"{answer.function}__{answer.slug} (reviewer {seen.get('reviewer')} at "
              f"{seen.get('at')}: {seen.get('grader', '?')}"
              f") {how}\n    mistake: {answer.says}\n"
              f"    matched: {' ; '.join(found) or '-'}\n    right: {' ; '.join(answer.names) or '-'}")
    print(f"Diagnosis rate over the graded functions of notebooks 01-07 "
          f"({args.doubles} doubles per function, seed 0):")
    for what, tally in tallies.items():
        print("  " + tally.line(what))
    if args.verbose:
        for what, tally in tallies.items():  # most doubles are unnamed: list the misnamed
            for label, how, said in tally.missed:
                if what.startswith("double") and how == "unnamed":
                    continue
                print(f"{what}, {how}: {label}" + "".join(f"\n    said: {s}" for s in said))
    return 0


if __name__ == "__main__":
    sys.exit(main())
