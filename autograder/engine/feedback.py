"""The feedback page a student gets: the score of each test cell and why, then the notebook.

The page is the grader's; the notebook, every byte of it the student's, is sanitised and shown
in a frame that runs and loads nothing, laid out (engine.layout) within a time and memory limit
(else shown as text)."""
import html

import nbformat

from autograder.engine import layout
from autograder.engine.bounded import bounded
from autograder.engine.mathml import put_formulas, typeset
from autograder.engine.sanitize import ANSI, sanitize_notebook
from tfcourse_instructor.nbgrader_plugins import SCORE_OF_RECORD

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;
vertical-align:top}.passed{background:#e6f4e6}.failed{background:#fbe9e9}pre{white-space:pre-wrap}
.note{background:#fff6d6;padding:.5rem}.input_area pre,.jp-InputArea pre{background:#f6f6f6}"""


# Student content never shares a document with the grader's: sanitised (engine.sanitize), it is
# shown in an iframe without allow-scripts or allow-same-origin, under a policy that loads and
# runs nothing; the page around it holds only the grader's table and notes, under that policy too.
POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
          "form-action 'none'")
FRAME = "width:100%;height:80vh;border:1px solid #ccc"
RENDER_SECONDS = 30.0      # the layout's time for one notebook's page; then the plain page
RENDER_MEMORY = 1 << 30    # and its memory, above what the worker maps


def _document(title, body, style=STYLE):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta http-equiv="
            f"'Content-Security-Policy' content=\"{POLICY}\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{body}</body></html>")


def _plain_html(nb):
    """The notebook as escaped text in one linear pass: when the layout fails or runs out."""
    parts = ["<p class='note'>Your notebook could not be laid out within the grader's time "
             "limit; here is its text.</p>"]
    for cell in nb.cells:
        parts.append(f"<pre>{html.escape(cell.source)}</pre>")
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or "\n".join(
                out.get("traceback", []))
            parts.append(f"<pre>{html.escape(ANSI.sub('', text))}</pre>")
    return "".join(parts)


def notebook_frame(executed, course_text=()):
    """The executed notebook, sanitised and laid out within limits, in a sandboxed iframe; the
    formulas of the Markdown cells whose text is in `course_text` (the release's) typeset."""
    executed, formulas = typeset(executed, frozenset(course_text))
    nb = sanitize_notebook(executed)
    body = bounded(layout.notebook_body, nb, seconds=RENDER_SECONDS, memory=RENDER_MEMORY)
    if body is None:
        body = _plain_html(nb)
    doc = _document("your notebook", put_formulas(body, formulas), STYLE + layout.STYLE)
    return (f"<iframe title='your notebook' sandbox='' referrerpolicy='no-referrer' "
            f"style='{FRAME}' srcdoc=\"{html.escape(doc, quote=True)}\"></iframe>")


def render_feedback(result, executed, course_text=()):
    """One HTML page: the score of each test cell and why, then the executed notebook (the
    formulas of its Markdown cells typeset where the text is the course's: `course_text`)."""
    unit = result["unit"]
    rows = "".join(
        f"<tr class='{'passed' if v['status'] == 'passed' else 'failed'}'><td>{html.escape(v['grade_id'])}"
        f"</td><td>{v['score']:g} / {v['max_score']:g}</td><td><pre>{html.escape(v['status'])}"
        f"</pre></td></tr>" for v in result["verdicts"])
    total = sum(v["score"] for v in result["verdicts"])
    top = sum(v["max_score"] for v in result["verdicts"])
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in result["notes"])
    frame = ""
    if executed is not None:
        nb = nbformat.from_dict(executed)
        nb.cells = [c for c in nb.cells if not c.metadata.get("autograder")]
        frame = notebook_frame(nb, course_text)
    title = f"{unit['assignment']}/{unit['notebook']} \u2014 {unit['student']}"
    return _document(title, f"<h1>{html.escape(title)}</h1><p>Score: <b>{total:g} / {top:g}</b>"
                            f"</p>{SCORE_OF_RECORD}<table><tr><th>test</th><th>score</th><th>result</th></tr>"
                            f"{rows}</table>{notes}<h2>Your notebook, as graded</h2>{frame}")
