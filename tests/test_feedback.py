"""The feedback page: the grader's score table alone in the page, the student's notebook in a
sandboxed frame that runs and loads nothing, laid out within a time limit or shown as text."""
import html
import time

import nbformat

from autograder.engine import feedback

RESULT = {"unit": {"student": "s<1>", "assignment": "01", "notebook": "01"},
          "verdicts": [{"grade_id": "rnn_step_visible", "score": 0.0, "max_score": 1.0,
                        "status": "failed: <b>no</b>"}],
          "notes": ["<i>note</i>"]}


def _executed(*sources, outputs=()):
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    cells[-1].outputs = list(outputs)
    return nbformat.v4.new_notebook(cells=cells)


def _parts(page):
    grader, frame = page.split("<iframe", 1)
    tag = frame.split(">", 1)[0]
    return grader, tag, html.unescape(tag.split("srcdoc=", 1)[1])


def test_the_score_table_is_the_graders_and_the_notebook_is_framed_without_scripts():
    script = "<script>document.body.innerHTML = 'Score: 1 / 1'</script>"
    page = feedback.render_feedback(RESULT, _executed("x = 1", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": script, "text/plain": "obj"}),
        nbformat.v4.new_output("stream", name="stdout", text=script)]))
    grader, tag, shown = _parts(page)
    assert "Score: <b>0 / 1</b>" in grader and "<script" not in grader
    assert "&lt;b&gt;no&lt;/b&gt;" in grader and "&lt;i&gt;note" in grader  # statuses as text
    assert "default-src 'none'" in grader and "sandbox=''" in tag and "allow-" not in tag
    assert "<script" not in shown and "&lt;script&gt;" in shown and "default-src 'none'" in shown


def test_a_page_that_cannot_be_laid_out_in_time_falls_back_to_plain_text(monkeypatch):
    monkeypatch.setattr(feedback, "RENDER_SECONDS", 0.0)
    start = time.monotonic()
    page = feedback.render_feedback(RESULT, _executed("print('hello')", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="\x1b[31mhello\x1b[0m")]))
    assert time.monotonic() - start < 10
    _, _, shown = _parts(page)
    assert "could not be laid out" in shown and "hello" in shown and "\x1b" not in shown


def test_escape_codes_beyond_the_budget_never_reach_the_layout():
    text = "\x1b[1;31m" * 120_000 + "the end"  # under the 1 MB kept per output: all of it kept
    start = time.monotonic()
    page = feedback.render_feedback(RESULT, _executed("print(x)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=text)]))
    assert time.monotonic() - start < 10
    _, _, shown = _parts(page)
    assert "could not be laid out" not in shown and "the end" in shown
    assert shown.count("ansi-red") <= 2000


def test_a_missing_notebook_gives_the_table_alone():
    page = feedback.render_feedback(RESULT, None)
    assert "<iframe" not in page and "Score: <b>0 / 1</b>" in page
