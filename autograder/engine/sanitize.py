"""A student's executed notebook made safe to keep and to show, in time linear in its size.

    safe = sanitize_notebook(executed)    # what the grader stores and formgrader opens

Everything a notebook outputs is the student's, scripts included: a `<script>` in an HTML output
rewrote a feedback page's score, and a few MB of ANSI escape codes make nbconvert's ANSI filter
run for hours (it is quadratic). The grader keeps only what cannot act:

- stream and error text, with at most ANSI_BUDGET escape codes per output (the rest removed);
- `text/plain`, and PNG / JPEG images whose data is plain base64;
- HTML, Markdown, LaTeX, SVG, JavaScript, widget views and every other kind of output are
  dropped; an output that had only those keeps its source as `text/plain`, shown as text;
- no output or cell metadata, no attachments, no widget state;
- markdown and raw cells with `<`, `>` and `&` escaped (Markdown shows them as the same
  characters, but never as HTML), and every link or image target turned into an in-page anchor
  (`](x` becomes `](#x`, a `[ref]: x` definition plain text, a bare URL is not linked), so
  nothing is loaded or run.

Every step is one pass of a regular expression without backtracking, or a copy.
"""
import html
import re

import nbformat

ANSI_BUDGET = 2000        # escape codes kept per output; nbconvert renders 2000 in a few ms
MAX_TEXT = 1 << 20        # characters kept per text field (the output cap is 2 MB in all)
# CSI (colours, cursor moves), OSC (titles, links: ESC ] ... BEL or ESC \), and any other ESC x
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
IMAGES = ("image/png", "image/jpeg")
CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def text_of(value):
    """A notebook text field as one string (lists of lines joined; anything else: '')."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "".join(value)
    else:
        return ""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n[autograder: {len(text) - MAX_TEXT} more characters not kept]"
    return text


def bound_ansi(text, budget=ANSI_BUDGET):
    """`text` with its first `budget` ANSI escape codes kept and every later one removed."""
    left = [budget]

    def keep(match):
        left[0] -= 1
        return match.group(0) if left[0] >= 0 else ""
    return ANSI.sub(keep, text)


def _output(out):
    """A safe copy of one output, or None if nothing of it can be shown safely."""
    kind = out.get("output_type") if isinstance(out, dict) else None
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=bound_ansi(text_of(out.get("text"))))
    if kind == "error":
        trace = out.get("traceback") if isinstance(out.get("traceback"), list) else []
        trace = [bound_ansi(text_of(line)) for line in trace[:200]]
        return nbformat.v4.new_output("error", ename=text_of(out.get("ename"))[:500],
                                      evalue=bound_ansi(text_of(out.get("evalue"))[:5000]),
                                      traceback=trace)
    if kind not in ("display_data", "execute_result"):
        return None
    data = out.get("data") if isinstance(out.get("data"), dict) else {}
    safe = {}
    for mime in IMAGES:
        image = text_of(data.get(mime))
        if image and BASE64.fullmatch(image):
            safe[mime] = image
    plain = text_of(data.get("text/plain"))
    if not plain and not safe:  # only kinds that could act: show their source as text
        plain = next((text_of(v) for k, v in sorted(data.items()) if text_of(v)), "")
    if plain:
        safe["text/plain"] = bound_ansi(plain)
    if not safe:
        return None
    if kind == "execute_result":
        count = out.get("execution_count")
        return nbformat.v4.new_output("execute_result", data=safe, execution_count=count
                                      if isinstance(count, int) and count >= 0 else None)
    return nbformat.v4.new_output("display_data", data=safe)


def safe_markdown(source):
    """Markdown that renders as the same text but holds no HTML and links nowhere."""
    text = html.escape(source, quote=False).replace("](", "](#").replace("]:", "]\\:")
    return text.replace("://", "\\://").replace("www.", "www\\.")  # no bare-URL autolinks


def sanitize_notebook(nb):
    """A copy of `nb` holding only what cannot run, restyle or load anything (see module doc)."""
    cells = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict):
            continue
        source = text_of(cell.get("source"))
        if cell.get("cell_type") == "code":
            new = nbformat.v4.new_code_cell(source)
            count = cell.get("execution_count")
            new.execution_count = count if isinstance(count, int) and count >= 0 else None
            outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            new.outputs = [o for o in map(_output, outputs) if o is not None]
        elif cell.get("cell_type") == "markdown":
            new = nbformat.v4.new_markdown_cell(safe_markdown(source))
        else:
            new = nbformat.v4.new_raw_cell(html.escape(source, quote=False))
        if isinstance(cell.get("id"), str) and CELL_ID.fullmatch(cell["id"]):
            new["id"] = cell["id"]
        nbgrader = cell.get("metadata", {}).get("nbgrader") if isinstance(
            cell.get("metadata"), dict) else None
        if isinstance(nbgrader, dict):  # formgrader finds graded cells by it; plain data only
            new.metadata["nbgrader"] = {k: v for k, v in nbgrader.items()
                                        if isinstance(v, (str, int, float, bool, type(None)))}
        cells.append(new)
    metadata = nb.get("metadata") if isinstance(nb, dict) else None
    metadata = metadata if isinstance(metadata, dict) else {}
    keep = {k: {f: v for f, v in metadata[k].items() if isinstance(v, str)}
            for k in ("kernelspec", "language_info") if isinstance(metadata.get(k), dict)}
    if not isinstance(keep.get("language_info", {}).get("name"), str):
        keep.pop("language_info", None)
    if not all(isinstance(keep.get("kernelspec", {}).get(f), str) for f in ("name", "display_name")):
        keep.pop("kernelspec", None)
    return nbformat.v4.new_notebook(cells=cells, metadata=keep)
