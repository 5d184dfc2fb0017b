"""The feedback page's layout of a sanitised notebook: every kind the sanitiser keeps is shown,
and nothing the student wrote becomes a tag."""
import base64
from html.parser import HTMLParser

import nbformat

from autograder.engine.layout import notebook_body
from autograder.engine.sanitize import sanitize_notebook

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
SCRIPT = "<script>alert(1)</script>"


def _tags(fragment):
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))
    Collect().feed(fragment)
    return found


def _notebook():
    code = nbformat.v4.new_code_cell(f"print('{SCRIPT}')  # x < y", execution_count=3)
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"\x1b[31mred\x1b[0m {SCRIPT}"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "fig"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "array([1, 2])",
                                                       "text/html": SCRIPT}, execution_count=3),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad",
                               traceback=["\x1b[0;31mValueError\x1b[0m: bad"])]
    cells = [nbformat.v4.new_markdown_cell(f"# Title\n\n**bold** {SCRIPT} [link](http://x.org)"),
             code, nbformat.v4.new_raw_cell(SCRIPT)]
    return sanitize_notebook(nbformat.v4.new_notebook(cells=cells))


def test_every_kind_the_sanitiser_keeps_is_laid_out():
    body = notebook_body(_notebook())
    tags = _tags(body)
    assert "In [3]:" in body and "<h1>Title</h1>" in body and "<strong>bold</strong>" in body
    assert "red" in body and "ansi-red" in body and "\x1b" not in body  # colours, not codes
    assert "class='stderr'" in body and "a warning" in body
    assert "array([1, 2])" in body and "ValueError" in body
    assert ("img", {"alt": "an output image", "src": f"data:image/png;base64,{PNG}"}) in tags


def test_nothing_the_student_wrote_becomes_a_tag_or_a_link_that_loads():
    body = notebook_body(_notebook())
    names = {tag for tag, _ in _tags(body)}
    assert not names & {"script", "iframe", "object", "embed", "svg", "style", "base", "form"}
    assert body.count("&lt;script&gt;") >= 4  # markdown, code, stream, raw: shown as text
    for tag, attrs in _tags(body):
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").lower().startswith(("http", "javascript:", "//")), value


def test_an_empty_notebook_lays_out_as_nothing():
    assert notebook_body(sanitize_notebook(nbformat.v4.new_notebook())) == ""
