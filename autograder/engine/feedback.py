"""The feedback page a student gets: the score of each test cell and why, then the notebook."""
import html

import nbformat

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;
vertical-align:top}.passed{background:#e6f4e6}.failed{background:#fbe9e9}pre{white-space:pre-wrap}
.note{background:#fff6d6;padding:.5rem}.input_area pre,.jp-InputArea pre{background:#f6f6f6}"""


def render_feedback(result, executed):
    """One HTML page: the score of each test cell and why, then the executed notebook."""
    unit = result["unit"]
    rows = "".join(
        f"<tr class='{'passed' if v['status'] == 'passed' else 'failed'}'><td>{html.escape(v['grade_id'])}"
        f"</td><td>{v['score']:g} / {v['max_score']:g}</td><td><pre>{html.escape(v['status'])}"
        f"</pre></td></tr>" for v in result["verdicts"])
    total = sum(v["score"] for v in result["verdicts"])
    top = sum(v["max_score"] for v in result["verdicts"])
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in result["notes"])
    body = ""
    if executed is not None:
        from nbconvert import HTMLExporter
        nb = nbformat.from_dict(executed)
        nb.cells = [c for c in nb.cells if not c.metadata.get("autograder")]
        body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    title = f"{unit['assignment']}/{unit['notebook']} \u2014 {unit['student']}"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>Score: <b>{total:g} / {top:g}</b></p><table><tr><th>test</th><th>score</th>"
            f"<th>result</th></tr>{rows}</table>{notes}<h2>Your notebook, as graded</h2>"
            f"{body}</body></html>")
