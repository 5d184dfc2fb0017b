"""What every case module does with its cases: reference results, the mutants' outputs,
the public file's content and the hidden cases, for one family of graded functions.

    tools = CaseTools(case_args, encode, VISIBLE, HIDDEN, check_ties)
    public_reference, hidden_cases = tools.public_reference, tools.hidden_cases

`case_args(name, case)` builds fresh (args, kwargs); `check_ties(name, case)` raises ValueError
when a case's answer sits on a knife edge. Used by cases_transformer.py (06) and cases_lm.py (07).
"""
import numpy as np

import solutions


def as_result(value):
    if isinstance(value, tuple):  # a step's (logits, (keys, values)) nests one level
        return tuple(as_result(v) if isinstance(v, tuple) else np.asarray(v, dtype=float)
                     for v in value)
    arr = np.asarray(value)
    return arr if arr.dtype.kind in "biu" else arr.astype(float)


def same(a, b):
    if isinstance(b, tuple):
        return all(same(x, y) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biu" or b.dtype.kind in "biu":
        return a.shape == b.shape and a.dtype.kind == b.dtype.kind and np.array_equal(a, b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def rounded_result(value):
    """A mutant's output as the files store it: reals to 9 digits, ids and masks exact."""
    if isinstance(value, tuple):
        return tuple(rounded_result(v) for v in value)
    if np.asarray(value).dtype.kind in "biu":
        return value
    from autograder.mutations import rounded
    return rounded(value)


class CaseTools:
    def __init__(self, case_args, encode, visible, hidden, check_ties=None):
        self.case_args, self.encode = case_args, encode
        self.visible, self.hidden = visible, hidden
        self.check_ties = check_ties or (lambda name, case: None)

    def reference_result(self, name, case):
        args, kwargs = self.case_args(name, case)
        return getattr(solutions, name)(*args, **kwargs)

    def with_expected(self, name, case):
        self.check_ties(name, case)
        return dict(case, expected=self.encode(as_result(self.reference_result(name, case))))

    def catalogue(self, name):
        """The mutants a wrong answer of `name` is matched against, and their outputs by case
        (autograder/mutations: each runs once per case, at build time)."""
        from autograder.mutations import catalogue
        return catalogue(name, self.visible[name] + self.hidden[name], self.case_args,
                         self.reference_result)

    def mutants(self, name):
        """The mutants a wrong answer of `name` is matched against."""
        return self.catalogue(name)[0]

    def with_mistakes(self, name, case, texts=False):
        """`case` plus each mutant's output on it (None where it raised), where that is not the
        right answer; with `texts`, the sentences naming those mutants too."""
        from autograder.mutations import case_key
        expected = as_result(self.reference_result(name, case))
        kept, by_case = self.catalogue(name)
        found = {}
        for mutant, out in zip(kept, by_case[case_key(case)]):
            if out is None:
                found[mutant.id] = None
                continue
            out = as_result(out)
            if not same(out, expected):
                found[mutant.id] = self.encode(rounded_result(out))
        out = dict(case, mistakes=found)
        if texts:
            out["diagnoses"] = {m.id: m.text for m in kept if m.id in found}
        return out

    def public_reference(self, name):
        """The JSON-able content of data/reference/<name>.json."""
        return {"function": name,
                "diagnoses": {m.id: m.text for m in self.catalogue(name)[0]},
                "tolerance": {"rtol": 1e-6, "atol": 1e-9},
                "cases": [self.with_mistakes(name, self.with_expected(name, c))
                          for c in self.visible[name]]}

    def hidden_cases(self, name):
        """The hidden cases of `name`, each with its expected result and the mutants' outputs
        and sentences, ready to pack."""
        return [self.with_mistakes(name, self.with_expected(name, c), texts=True)
                for c in self.hidden[name]]
