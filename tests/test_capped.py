"""What the grader keeps of a kernel's messages stays within Limits.output, whatever the kernel
sends: display updates and re-displays by id, widget and execute_input messages, clear_output,
malformed content. Properties over random message streams (hypothesis), plus the cases that
broke it."""
import json

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbclient.exceptions import CellExecutionComplete

from autograder.engine.capped import MAX_SHOWN, NOTE, CappedClient

ROOM = 20000


def _client(cells=2, room=ROOM):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("") for _ in range(cells)])
    return CappedClient(nb, room, None)


def _msg(msg_type, content):
    return {"msg_type": msg_type, "header": {"msg_type": msg_type}, "parent_header": {},
            "metadata": {}, "content": content, "buffers": []}


def _feed(client, messages):
    for cell_index, msg in messages:
        try:
            client.process_message(msg, client.nb.cells[cell_index], cell_index)
        except CellExecutionComplete:
            pass


def _kept(client):
    """Bytes of output the notebook holds, as it would be written."""
    return sum(len(json.dumps(o)) for c in client.nb.cells for o in c.outputs)


def _display(text, display_id=None, kind="display_data"):
    content = {"data": {"text/plain": text}, "metadata": {}}
    if display_id:
        content["transient"] = {"display_id": display_id}
    if kind == "execute_result":
        content["execution_count"] = 1
    return _msg(kind, content)


def test_a_display_update_larger_than_the_room_is_dropped_and_flagged():
    client = _client()
    _feed(client, [(0, _display("a", "d")), (0, _display("a", "d")),
                   (1, _msg("update_display_data", {"data": {"text/plain": "z" * 10 * ROOM},
                                                     "metadata": {}, "transient": {"display_id": "d"}}))])
    assert client.truncated and _kept(client) <= ROOM + len(NOTE) + 100
    assert [o.data["text/plain"] for o in client.nb.cells[0].outputs[:2]] == ["a", "a"]


def test_updates_within_the_room_replace_every_output_with_that_id():
    client = _client()
    _feed(client, [(0, _display("a", "d")), (1, _display("b", "d")),
                   (1, _msg("update_display_data", {"data": {"text/plain": "new"}, "metadata": {},
                                                     "transient": {"display_id": "d"}}))])
    assert [o.data["text/plain"] for c in client.nb.cells for o in c.outputs] == ["new", "new"]
    assert not client.truncated


def test_widget_execute_input_and_unknown_messages_keep_nothing():
    client = _client()
    big = "w" * 10 * ROOM
    _feed(client, [(0, _msg("comm_open", {"comm_id": "c", "target_name": "jupyter.widget",
                                           "data": {"state": {"_model_module": "@jupyter-widgets/output",
                                                              "_model_name": "OutputModel", "x": big}}})),
                   (0, _msg("comm_msg", {"comm_id": "c", "data": {"method": "update",
                                                                  "state": {"y": big}}})),
                   (0, _msg("execute_input", {"code": big, "execution_count": 3})),
                   (0, _msg("mystery", {"x": big}))])
    assert _kept(client) == 0 and not client.truncated
    assert client.widget_state == {} and client.comm_objects == {}
    assert client.nb.cells[0].execution_count == 3


def test_clear_output_gives_its_room_back():
    client = _client(cells=1)
    messages = []
    for i in range(200):  # a progress display redrawn 200 times, each near the room's tenth
        messages += [(0, _msg("clear_output", {"wait": True})),
                     (0, _msg("stream", {"name": "stdout", "text": f"{i}" + "." * (ROOM // 10)}))]
    _feed(client, messages)
    assert not client.truncated and len(client.nb.cells[0].outputs) == 1


# ----------------------------------------------------------------------------- properties

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=50) | st.builds(
    lambda n, c: c * n, st.integers(0, 3 * ROOM), st.sampled_from("x\x1b<"))
IDS = st.sampled_from(["a", "b", None, 3, ""])
JUNK = st.none() | st.integers() | st.lists(st.integers(), max_size=3) | TEXT


@st.composite
def messages(draw):
    kind = draw(st.sampled_from(["stream", "display_data", "execute_result", "error",
                                 "update_display_data", "clear_output", "execute_input",
                                 "comm_open", "comm_msg", "status", "mystery"]))
    display_id = draw(IDS)
    content = {
        "stream": lambda: {"name": draw(st.sampled_from(["stdout", "stderr", 7])), "text": draw(TEXT)},
        "error": lambda: {"ename": draw(TEXT), "evalue": draw(TEXT),
                          "traceback": draw(st.lists(TEXT, max_size=3) | JUNK)},
        "clear_output": lambda: {"wait": draw(st.booleans())},
        "execute_input": lambda: {"code": draw(TEXT), "execution_count": draw(JUNK)},
        "status": lambda: {"execution_state": draw(st.sampled_from(["busy", "starting"]))},
    }.get(kind, lambda: {"data": draw(st.dictionaries(st.sampled_from(
        ["text/plain", "text/html", "image/png", "state"]), TEXT | JUNK, max_size=3) | JUNK),
        "metadata": draw(st.dictionaries(st.text(max_size=5), JUNK, max_size=2) | JUNK),
        "execution_count": draw(JUNK), "comm_id": draw(TEXT)})()
    if display_id is not None and draw(st.booleans()):
        content["transient"] = {"display_id": display_id}
    elif draw(st.booleans()):
        content["transient"] = draw(JUNK)
    msg = _msg(kind, content if draw(st.integers(0, 9)) else draw(JUNK))
    return draw(st.integers(0, 2)), msg


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(st.lists(messages(), max_size=30))
def test_any_message_stream_never_raises_and_keeps_at_most_the_room(stream):
    client = _client(cells=3)
    _feed(client, stream)
    assert _kept(client) <= ROOM + len(json.dumps(nbformat.v4.new_output(
        "stream", name="stdout", text=NOTE)))
    nbformat.writes(client.nb)  # what is kept can be stored


@pytest.mark.parametrize("kind", ["display_data", "execute_result"])
def test_re_displays_with_one_id_count_every_copy(kind):
    client = _client()
    text = "r" * (ROOM // 4)
    _feed(client, [(0, _display(text, "same", kind)) for _ in range(10)])
    assert client.truncated and _kept(client) <= ROOM + 200


def test_at_most_max_shown_outputs_share_an_id_so_each_update_is_bounded_work():
    client = _client(cells=1, room=10 << 20)
    _feed(client, [(0, _display(str(i), "same")) for i in range(3 * MAX_SHOWN)])
    assert len(client.nb.cells[0].outputs) == MAX_SHOWN + 1 and client.truncated  # + the note
    _feed(client, [(0, _msg("update_display_data", {"data": {"text/plain": "last"}, "metadata": {},
                                                     "transient": {"display_id": "same"}}))])
    assert {o.data["text/plain"] for o in client.nb.cells[0].outputs[:MAX_SHOWN]} == {"last"}
