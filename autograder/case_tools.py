"""What every case module does with its cases: reference results, known mistakes' outputs,
the public file's content and the hidden cases, for one family of graded functions.

    tools = CaseTools(MISTAKES, case_args, check_ties)
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


class CaseTools:
    def __init__(self, mistakes, case_args, encode, visible, hidden, check_ties=None):
        self.mistakes, self.case_args, self.encode = mistakes, case_args, encode
        self.visible, self.hidden = visible, hidden
        self.check_ties = check_ties or (lambda name, case: None)

    def reference_result(self, name, case):
        args, kwargs = self.case_args(name, case)
        return getattr(solutions, name)(*args, **kwargs)

    def with_expected(self, name, case):
        self.check_ties(name, case)
        return dict(case, expected=self.encode(as_result(self.reference_result(name, case))))

    def with_mistakes(self, name, case):
        """`case` plus each known mistake's output on it, where that is not the right answer."""
        expected = as_result(self.reference_result(name, case))
        found = {}
        for mistake, impl in self.mistakes.get(name, {}).items():
            args, kwargs = self.case_args(name, case)
            with np.errstate(all="ignore"):
                out = as_result(impl(*args, **kwargs))
            if not same(out, expected):
                found[mistake] = self.encode(out)
        return dict(case, mistakes=found)

    def public_reference(self, name):
        """The JSON-able content of data/reference/<name>.json."""
        return {"function": name,
                "tolerance": {"rtol": 1e-6, "atol": 1e-9},
                "cases": [self.with_mistakes(name, self.with_expected(name, c))
                          for c in self.visible[name]]}

    def hidden_cases(self, name):
        """The hidden cases of `name`, each with its expected result, ready to pack."""
        return [self.with_expected(name, c) for c in self.hidden[name]]
