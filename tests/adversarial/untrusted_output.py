"""Submissions of notebook 01 that attack what the grader does with their outputs (issue 12):
flooding every kind of kernel message, one message too big to read, escape codes that make
nbconvert quadratic, and outputs that try to run or restyle the feedback page.

    for attack in ATTACKS:
        attack.write(ctx, ctx.submitted / attack.student / ASSIGNMENT)
"""
from tests.adversarial import WRONG, Attack, answered, code, notebook

MB = 1 << 20

# Raw messages on the kernel's own channel, as any code in the kernel can send them.
SEND = """\
kernel = get_ipython().kernel
def send(kind, content, buffers=None):
    kernel.session.send(kernel.iopub_socket, kind, content, parent=kernel.get_parent(),
                        buffers=buffers)
"""

# Every message type that made the grader keep data, each far beyond the 2 MB output cap but
# each message under the 8 MB the grader reads: 100-200 MB pass through the grader in all.
FLOOD = [
    "import sys\nfor _ in range(8):\n    print('s' * (4 << 20)); sys.stdout.flush()",
    "for _ in range(8):\n    display({'text/plain': 'd' * (4 << 20)}, raw=True)",
    "handle = display({'text/plain': 'a'}, raw=True, display_id=True)\n"
    "for _ in range(8):\n    handle.update({'text/plain': 'u' * (4 << 20)}, raw=True)",
    "for _ in range(8):\n    display({'text/plain': 'r' * (4 << 20)}, raw=True, "
    "display_id=handle.display_id)",
    SEND + "for n in range(8):\n    send('execute_input', {'code': 'e' * (4 << 20), "
    "'execution_count': n})",
    SEND + "state = {'_model_module': '@jupyter-widgets/output', '_model_name': 'OutputModel'}\n"
    "send('comm_open', {'comm_id': 'w', 'target_name': 'jupyter.widget', "
    "'data': {'state': state, 'buffer_paths': []}})\n"
    "for n in range(8):\n    send('comm_msg', {'comm_id': 'w', 'data': {'method': 'update', "
    "'state': {f'k{n}': 'w' * (3 << 20)}, 'buffer_paths': [['b']]}}, buffers=[b'x' * (1 << 20)])",
    "from IPython.display import clear_output\nfor n in range(3000):\n"
    "    clear_output(wait=True); print(n, 'c' * 1000, flush=True)",
    "raise RuntimeError('t' * (3 << 20))",
]


def _flood(ctx):
    nb = answered(ctx)
    nb.cells += [code(source) for source in FLOOD]
    return nb


def _huge(ctx):
    nb = answered(ctx)
    nb.cells.append(code("print('x' * (50 << 20))"))
    return nb


# 150,000 escape codes: 1.4 MB as stored, inside the output cap; nbconvert's ANSI filter alone
# takes tens of seconds on them (quadratic: 100,000 took 10 s, 200,000 39 s), a few such pages
# minutes.
ANSI = "print('\\x1b[1m' * 150_000 + 'end of the colours')"


def _ansi(ctx):
    nb = answered(ctx)
    nb.cells.append(code(ANSI))
    return nb


FORGED = "<h1 id='forged'>Score: 8 / 8</h1>"
SCRIPTS = [
    "from IPython.display import HTML, Javascript, SVG, Markdown, display\n"
    f"display(HTML(\"<script>document.body.innerHTML = \\\"{FORGED}\\\"</script>\"))",
    "display(Javascript(\"document.querySelector('table').remove()\"))",
    "display(HTML(\"<style>table, h1 {display: none}</style><img src=x onerror='alert(1)'>\"))",
    "display(SVG(\"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(2)'><script>alert(3)"
    "</script></svg>\"))",
    "display(Markdown(\"[click](javascript:alert(4)) <script>alert(5)</script>\"))",
    "print(\"</iframe></pre><script>alert(6)</script><meta http-equiv='refresh' content='0'>\")",
]
MARKDOWN = ("<script>alert(7)</script><base href='http://evil/'>"
            "[score](javascript:alert(8)) ![t](http://evil/track.png)")


def _scripts(ctx):
    import nbformat
    nb = answered(ctx, lstm_step=WRONG["lstm_step"])
    nb.cells += [code(source) for source in SCRIPTS]
    nb.cells.append(nbformat.v4.new_markdown_cell(MARKDOWN))
    return nb


# One message of endless parts: zmq bounds each part's size (8 MB), not their number, and holds
# every part until the last. 700 parts of 4 MB (one buffer sent 700 times, so the kernel holds
# 4 MB) would make the grader's worker buffer 2.8 GB: more than its own memory limit.
ENDLESS = SEND + "send('stream', {'name': 'stdout', 'text': 'parts'}, buffers=[b'p' * (4 << 20)] * 700)"


def _endless(ctx):
    nb = answered(ctx)
    nb.cells.append(code(ENDLESS))
    return nb


# Graded in a run of its own (tests/test_grade_untrusted.py): it kills the worker grading it.
ENDLESS_PARTS = Attack("endless_message_parts", "bounds", notebook(_endless))

# A graded function that writes what it is called with into an earlier cell's display: called
# by the harness on the hidden cases, it would show their inputs on the feedback page.
LEAK_DISPLAY = "leak = display('nothing yet', display_id='leak')"
LEAKING_RNN_STEP = """\
import inspect
from IPython.display import update_display
def rnn_step(x, h_prev, params):
    where = ('INSIDE THE HARNESS' if any(f.function == '_autograder_harness' for f in inspect.stack())
             else 'OUTSIDE THE HARNESS')
    update_display(where + ' ' + repr(getattr(x, 'shape', None)), display_id='leak')
    return _reference_rnn_step(x, h_prev, params)
"""


def _display_leak(ctx):
    nb = answered(ctx)
    i = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {})
             .get("grade_id") == "rnn_step")
    nb.cells[i].source = (ctx.reference["rnn_step"].replace("def rnn_step(", "def _reference_rnn_step(")
                          + "\n\n" + LEAKING_RNN_STEP)
    nb.cells.insert(i, code(LEAK_DISPLAY))
    return nb


ATTACKS = [
    Attack("flood_every_message", "bounds", notebook(_flood), flags=("output-truncated",)),
    Attack("one_huge_message", "bounds", notebook(_huge), flags=("output-truncated",)),
    Attack("ansi_escape_flood", "bounds", notebook(_ansi), outputs=("end of the colours",)),
    Attack("scripts_in_outputs", "feedback", notebook(_scripts), failed=("lstm_step",)),
    Attack("display_update_leak", "feedback", notebook(_display_leak),
           outputs=("OUTSIDE THE HARNESS (",)),
]
