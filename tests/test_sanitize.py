"""What the grader keeps of a student's outputs cannot run, restyle or load anything, and
sanitising takes time linear in the notebook's size."""
import time

import nbformat

from autograder.engine.sanitize import ANSI_BUDGET, bound_ansi, safe_markdown, sanitize_notebook

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
SCRIPT = "<script>document.body.innerHTML = 'Score: 8 / 8'</script>"


def _notebook(*outputs, markdown=""):
    code = nbformat.v4.new_code_cell("x = 1", outputs=list(outputs))
    code.metadata["nbgrader"] = {"grade_id": "rnn_step", "solution": True, "nested": {"x": 1}}
    code.metadata["tags"] = ["evil"]
    md = nbformat.v4.new_markdown_cell(markdown)
    md["attachments"] = {"a.svg": {"image/svg+xml": "<svg onload=alert(1)/>"}}
    nb = nbformat.v4.new_notebook(cells=[code, md], metadata={"widgets": {"state": {}},
                                                              "kernelspec": KERNEL})
    return nb


def _display(data, **kwargs):
    return nbformat.v4.new_output("display_data", data=data, **kwargs)


def test_only_plain_text_and_base64_images_are_kept():
    nb = sanitize_notebook(_notebook(
        _display({"text/html": SCRIPT, "text/plain": "<HTML object>"}),
        _display({"application/javascript": "alert(1)"}),
        _display({"image/svg+xml": "<svg onload='alert(1)'/>", "image/png": "iVBORw0KGgo="}),
        _display({"image/jpeg": "not base64 <script>"}, metadata={"text/html": "x"}),
        _display({"text/latex": "$\\href{javascript:alert(1)}{x}$", "text/markdown": "*x*"})))
    outputs = nb.cells[0].outputs
    kept = [sorted(o.data) for o in outputs]
    assert kept == [["text/plain"], ["text/plain"], ["image/png"], ["text/plain"], ["text/plain"]]
    assert outputs[0].data["text/plain"] == "<HTML object>"
    assert outputs[1].data["text/plain"] == "alert(1)"  # shown as text, never run
    assert all(o.metadata == {} for o in outputs)


def test_metadata_attachments_and_widget_state_are_dropped():
    nb = sanitize_notebook(_notebook())
    assert nb.metadata == {"kernelspec": KERNEL}
    assert nb.cells[0].metadata == {"nbgrader": {"grade_id": "rnn_step", "solution": True}}
    assert "attachments" not in nb.cells[1]
    nbformat.validate(nb)


def test_markdown_renders_its_text_but_no_html_and_no_link():
    source = (f"a < b {SCRIPT} [x](javascript:alert(1)) ![i](http://host/t.png)\n[r]: javascript:1"
              "\n\n<base href='http://evil/'>[y](javascript:2) see https://evil.org and www.evil.com")
    safe = safe_markdown(source)
    assert "<" not in safe and "](javascript" not in safe and "](http" not in safe
    assert "]:" not in safe
    from nbconvert.filters.markdown import markdown2html
    rendered = markdown2html(safe)
    assert "<script" not in rendered and "a &lt; b" in rendered
    assert 'href="javascript' not in rendered and 'src="http' not in rendered
    assert 'href="http' not in rendered and "https://evil.org" in rendered  # shown, not linked
    # without it, nbconvert's Markdown links to javascript: as the student wrote
    assert 'href="javascript' in markdown2html(source)


def test_ansi_codes_beyond_the_budget_are_removed_in_linear_time():
    text = "\x1b[31mred\x1b[0m" * (ANSI_BUDGET * 50)
    start = time.monotonic()
    kept = bound_ansi(text)
    assert time.monotonic() - start < 2
    assert kept.count("\x1b") == ANSI_BUDGET and kept.count("red") == ANSI_BUDGET * 50


def test_malformed_outputs_and_fields_never_raise():
    nb = {"cells": [{"cell_type": "code", "source": ["a", 1], "outputs": [
        {"output_type": "stream", "name": "x", "text": {"a": 1}},
        {"output_type": "error", "ename": None, "evalue": 3, "traceback": "no"},
        {"output_type": "display_data", "data": {"text/plain": ["a", "b"]}},
        {"output_type": "execute_result", "data": [], "execution_count": -4},
        {"output_type": "mystery"}, "junk", None], "execution_count": "x"},
        {"cell_type": "raw", "source": SCRIPT}, 5], "metadata": []}
    safe = sanitize_notebook(nb)
    nbformat.validate(safe)
    assert [o.output_type for o in safe.cells[0].outputs] == ["stream", "error", "display_data"]
    assert "<script" not in safe.cells[1].source
