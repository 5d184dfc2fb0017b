"""The course's formulas typeset on the feedback page, which runs no script: MathML, made here.

    nb, formulas = typeset(nb, course_text)    # course-written $...$ / $$...$$ become tokens
    body = put_formulas(body, formulas)         # after nbconvert: each token becomes its MathML

Chromium lays out MathML natively, so the page needs no MathJax. Only Markdown the course wrote
is typeset: a cell whose text is exactly a Markdown cell of the release (`course_text`). A
student's own cells keep their `$...$` as text: latex2mathml copies `\\text{<script>}` and
`\\href{javascript:...}` into its output as they are, so it is no sanitiser. Even the course's
MathML is rebuilt from an allow-list of MathML elements and attributes (`safe_mathml`); a formula
that needs anything else, or that latex2mathml cannot convert, stays text.
"""
import html
import re
import secrets
from html.parser import HTMLParser

MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$", re.S)
NAMESPACE = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = {"math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "msub", "msup", "msubsup",
            "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
            "mstyle", "mpadded", "mphantom", "menclose", "mfenced"}
ATTRIBUTES = {"display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace",
              "width", "height", "depth", "columnalign", "columnspacing", "rowspacing",
              "columnlines", "rowlines", "displaystyle", "scriptlevel", "accent", "accentunder",
              "movablelimits", "linethickness", "minsize", "maxsize", "symmetric", "form",
              "notation", "open", "close", "separators", "xmlns"}
VALUE = re.compile(r"[\w .%#,+-]{0,64}")


class _Rebuild(HTMLParser):
    """Re-serialises MathML keeping only allowed elements and attributes; text escaped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.open, self.bad = [], [], False

    def handle_starttag(self, tag, attrs, empty=False):
        if tag not in ELEMENTS or any(
                name not in ATTRIBUTES or value is None or (value != NAMESPACE if name == "xmlns"
                                                            else not VALUE.fullmatch(value))
                for name, value in attrs):
            self.bad = True
            return
        attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in attrs)
        self.out.append(f"<{tag}{attributes}{' /' if empty else ''}>")
        if not empty:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, empty=True)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.bad = True
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False))

    def unknown_decl(self, data):
        self.bad = True

    handle_comment = handle_decl = handle_pi = unknown_decl


def safe_mathml(markup):
    """`markup` rebuilt from allowed MathML only, or None if it holds anything else."""
    parser = _Rebuild()
    parser.feed(markup)
    parser.close()
    if parser.bad or parser.open or not parser.out or not parser.out[0].startswith("<math"):
        return None
    return "".join(parser.out)


def to_mathml(tex, display):
    """The safe MathML of one LaTeX formula, or None if it cannot be made."""
    from latex2mathml.converter import convert
    try:
        markup = convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises its own errors for LaTeX it does not know
        return None
    return safe_mathml(markup)


def typeset(nb, course_text):
    """Replace each formula of the Markdown cells of `nb` whose text is in `course_text` by a
    token; return (nb, {token: MathML}). A formula that cannot be made safe stays as it was."""
    try:
        import latex2mathml  # noqa: F401  (a dependency; a venv made before it shows text)
    except ImportError:
        return nb, {}
    nonce = secrets.token_hex(8)
    formulas = {}

    def token(match):
        mathml = to_mathml(match.group(1) or match.group(2), display=match.group(1) is not None)
        if mathml is None:
            return match.group(0)
        key = f"TFMATH{nonce}X{len(formulas)}X"
        formulas[key] = mathml
        return key
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source in course_text:
            cell.source = MATH.sub(token, cell.source)
    return nb, formulas


def put_formulas(body, formulas):
    """The HTML `body` with each token of `typeset` replaced by its MathML."""
    if not formulas:
        return body
    return re.sub(r"TFMATH[0-9a-f]{16}X\d+X", lambda m: formulas.get(m.group(0), m.group(0)), body)
