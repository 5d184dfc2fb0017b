"""Lay out a sanitised notebook as HTML, in one pass over what `sanitize_notebook` keeps.

    body = notebook_body(sanitize_notebook(executed))   # inside the feedback page's frame

`sanitize_notebook` leaves only code, escaped markdown and raw text, stream and error text with a
bounded number of ANSI codes, `text/plain`, and base64 PNG / JPEG images. This lays out exactly
those kinds and nothing else, so it needs none of nbconvert's template machinery or its HTML
cleaner (bleach over every highlighted cell took most of a second per page, the grader's largest
cost per notebook after the kernel). Every piece of text is escaped here or rendered by mistune
from markdown whose `<`, `>` and `&` are already escaped, so no tag of the student's survives.
"""
import html
import re

import mistune
from nbconvert.filters.ansi import ansi2html
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from autograder.engine.sanitize import IMAGES

_FORMATTER = HtmlFormatter(nowrap=True)
STYLE = _FORMATTER.get_style_defs(".highlight") + """
.cell{margin:.6rem 0}.prompt{color:#303f9f;font-family:monospace;font-size:.85em}
.highlight,.output pre{background:#f6f6f6;padding:.4rem;overflow-x:auto;margin:.2rem 0}
.output pre{background:none}.stderr{background:#fdd !important}.error pre{background:#fdd}
.markdown{padding:0 .4rem}img{max-width:100%}"""
# Markdown without raw HTML (escaped before it gets here) or extensions that fetch anything.
_MARKDOWN = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])
_WHITESPACE = re.compile(r"\s+")


def _code(cell):
    count = cell.get("execution_count")
    prompt = f"In [{count if isinstance(count, int) else ' '}]:"
    source = highlight(cell.source, PythonLexer(), _FORMATTER) if cell.source else ""
    outputs = "".join(_output(out) for out in cell.get("outputs", []))
    return (f"<div class='cell code'><div class='prompt'>{prompt}</div>"
            f"<pre class='highlight'>{source}</pre><div class='output'>{outputs}</div></div>")


def _output(out):
    kind = out.get("output_type")
    if kind == "stream":
        name = "stderr" if out.get("name") == "stderr" else "stdout"
        return f"<pre class='{name}'>{ansi2html(out.get('text', ''))}</pre>"
    if kind == "error":
        return f"<div class='error'><pre>{ansi2html(chr(10).join(out.get('traceback', [])))}</pre></div>"
    data = out.get("data", {})
    for mime in IMAGES:
        if mime in data:
            image = _WHITESPACE.sub("", data[mime])
            return f"<img alt='an output image' src='data:{mime};base64,{image}'>"
    if "text/plain" in data:
        return f"<pre>{ansi2html(data['text/plain'])}</pre>"
    return ""


def notebook_body(nb):
    """The HTML of a sanitised notebook's cells, in order (a fragment for a page's body)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            parts.append(_code(cell))
        elif cell.cell_type == "markdown":
            parts.append(f"<div class='cell markdown'>{_MARKDOWN(cell.source)}</div>")
        else:
            parts.append(f"<div class='cell raw'><pre>{cell.source}</pre></div>")  # escaped
    return "".join(parts)
