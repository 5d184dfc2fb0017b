"""The claims every notebook's checks module makes, as tests a test module binds by name:

    (test_the_reference_solution_passes_the_visible_and_hidden_checks, test_every_known_mistake_is_named,
     test_a_stub_is_reported_as_not_implemented) = checks_claims.tests(checks, cases, WRONG, WORDS)

`checks` is the tfcourse checks module, `cases` the autograder module of its hidden cases, WRONG
{function: {mistake: wrong implementation}}, WORDS {mistake: the words a property check says
for it} (the others are named by the checks module's MISTAKES)."""
import pytest

import solutions


def tests(checks, cases, wrong, words):
    names = list(checks.KINDS)

    @pytest.mark.parametrize("name", names)
    def reference_passes(name, capsys):
        checks.check(name, getattr(solutions, name))
        checks.check_hidden(name, getattr(solutions, name), checks.pack(cases.hidden_cases(name)))
        out, err = capsys.readouterr()
        assert out.count("\u2714") == 2 and err == ""

    @pytest.mark.parametrize("name, mistake", [(n, m) for n in wrong for m in wrong[n]])
    def mistake_is_named(name, mistake):
        with pytest.raises(checks.CheckFailed) as failure:
            checks.check(name, wrong[name][mistake])
        text = str(failure.value)
        assert words.get(mistake, checks.MISTAKES[mistake]) in text, text

    @pytest.mark.parametrize("name", names)
    def stub_is_not_implemented(name):
        def stub(*args, **kwargs):
            raise NotImplementedError()
        with pytest.raises(checks.CheckFailed, match="is not implemented yet"):
            checks.check(name, stub)

    return reference_passes, mistake_is_named, stub_is_not_implemented
