"""What the grader keeps of a kernel's messages: a bounded amount, whatever the kernel sends.

Every byte a sandboxed kernel sends is the student's. nbclient keeps some of it outside `output()`:
display updates by id replace the data of every earlier output with that id, widget messages
grow its widget state without bound, and `execute_input` and comm messages are parsed whatever
their size. `CappedClient` takes over `process_message` so that one rule covers every message:

- no message over MAX_MESSAGE bytes is even received (zmq drops it and the link: the grader
  then stops the notebook, which is judged again in a clean kernel), and at most QUEUED wait;
- outputs (stream, display_data, execute_result, error), display updates and re-displays by id
  are counted at their stored size against one room of Limits.output bytes; what does not fit
  is dropped with a note and `truncated` set; `clear_output` gives the room of what it clears back;
  at most MAX_SHOWN outputs share a display_id, so no message makes the grader do more than a
  bounded amount of work;
- `execute_input`, comm and widget messages, and anything else, are read and forgotten: no
  widget state, no Output-widget emulation;
- once the grader's harness cell runs, no display by id is kept: a graded function called on the
  hidden cases could otherwise write their inputs into an earlier cell's output, which the
  feedback page shows (the harness cell's own outputs are never shown).
"""
import asyncio
import json

import nbformat
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbformat.v4 import output_from_msg

MAX_MESSAGE = 8 << 20   # largest message part the grader receives; the harness's is < 0.5 MB
QUEUED = 16             # messages waiting per channel, so at most QUEUED * MAX_MESSAGE queued
# A grading worker's peak memory while its kernel floods every kind of message (GRADING.md):
# the interpreter with numpy, nbclient, nbconvert and nbgrader (~150 MB), two channels' queues
# (2 * QUEUED * MAX_MESSAGE) and the one message being parsed; the kept output is Limits.output.
WORKER_MEMORY = 640 << 20
OUTPUTS = ("stream", "display_data", "execute_result", "error", "update_display_data")
MAX_SHOWN = 100         # outputs sharing one display_id (an update rewrites every one of them)
NOTE = "\n[autograder: output limit reached; further output dropped]\n"


def client_context():
    """A zmq context whose sockets refuse oversized messages and queue few."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    context.setsockopt(zmq.RCVHWM, QUEUED)
    context.setsockopt(zmq.LINGER, 0)
    return context


def _size(output):
    return len(json.dumps(output, default=str))


class CappedClient(NotebookClient):
    """nbclient keeping at most `room` bytes of output, counted the same for every message."""

    def __init__(self, nb, room, kernel_manager, **kwargs):
        super().__init__(nb, store_widget_state=False, **kwargs)
        self.comm_open_handlers = {}        # no Output widget: it would keep state of its own
        self._kernel_manager = kernel_manager
        self._room, self._kept = room, 0
        self.sealed = False                 # the harness has started: no display by id kept
        self._displays = {}                 # display_id -> outputs shown with it
        self._cell_displays = {}            # cell index -> display_ids shown in it
        self._sizes = {}                    # display_id -> stored size of one of its outputs
        self._pending_clear = None          # cell index of a clear_output(wait=True)
        self._watchers = []
        self.truncated = False
        self.oversized = False              # the kernel sent a message over MAX_MESSAGE

    def create_kernel_manager(self):
        self.km = self._kernel_manager
        return self.km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.iopub_channel, kc.shell_channel):
            monitor = channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            self._watchers.append(asyncio.ensure_future(self._watch(monitor)))
        return kc

    async def _watch(self, monitor):
        """zmq drops the link when a message is too big (or the kernel closed its socket):
        stop the notebook there."""
        try:
            await monitor.recv_multipart()
            for _ in range(20):  # a kernel that died (OOM, exit, kill) is gone within 2 s
                await asyncio.sleep(0.1)
                if not await self.km.is_alive():
                    return
            self.oversized = True
            await self.km._async_kill_kernel()
        except (asyncio.CancelledError, zmq.ZMQError):
            pass
        finally:
            monitor.close(linger=0)

    def stop_watching(self):
        for watcher in self._watchers:
            watcher.cancel()

    # ------------------------------------------------------------------------- messages

    def process_message(self, msg, cell, cell_index):
        msg_type = msg.get("msg_type")
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        if cell.get("metadata", {}).get("autograder", {}).get("harness"):
            self.sealed = True
        if msg_type == "status":
            if content.get("execution_state") == "idle":
                raise CellExecutionComplete()
            return None
        count = content.get("execution_count")
        if msg_type in ("execute_input", "execute_result") and isinstance(count, int):
            cell["execution_count"] = count
        if msg_type == "clear_output":
            if content.get("wait"):
                self._pending_clear = cell_index
            else:
                self._clear(cell, cell_index)
        elif msg_type in OUTPUTS:
            return self._add(msg, cell, cell_index)
        return None  # execute_input, comm_open/msg/close, anything unknown: nothing kept

    def _add(self, msg, cell, cell_index):
        transient = msg["content"].get("transient")
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        display_id = display_id if isinstance(display_id, str) else None
        update = msg["msg_type"] == "update_display_data"
        try:
            if update:
                msg = {**msg, "msg_type": "display_data",
                       "header": {**msg.get("header", {}), "msg_type": "display_data"}}
            out = output_from_msg(msg)
        except Exception:  # a malformed message: nothing to keep
            return None
        if self.sealed and display_id is not None:  # see `sealed`
            return None
        size = _size(out)
        if display_id in self._displays:  # an update, or a re-display: every earlier one changes
            shown = self._displays[display_id]
            grow = len(shown) * (size - self._sizes[display_id])
            if self._kept + grow > self._room or (not update and len(shown) >= MAX_SHOWN):
                return self._drop(cell)
            for old in shown:  # at most MAX_SHOWN: each message costs the same bounded work
                old["data"], old["metadata"] = out.get("data", {}), out.get("metadata", {})
            self._kept += grow
            self._sizes[display_id] = size
        if update:
            return None
        if self._pending_clear == cell_index:
            self._clear(cell, cell_index)
        if self._kept + size > self._room:
            return self._drop(cell)
        self._kept += size
        cell.outputs.append(out)
        if display_id:
            self._displays.setdefault(display_id, []).append(out)
            self._sizes[display_id] = size
            self._cell_displays.setdefault(cell_index, set()).add(display_id)
        return out

    def _clear(self, cell, cell_index):
        gone = {id(o) for o in cell.outputs}
        self._kept = max(0, self._kept - sum(_size(o) for o in cell.outputs))
        for display_id in self._cell_displays.pop(cell_index, ()):
            self._displays[display_id] = [o for o in self._displays[display_id]
                                          if id(o) not in gone]
        cell.outputs[:] = []
        self._pending_clear = None

    def _drop(self, cell):
        if not self.truncated:
            self.truncated = True
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=NOTE))
        return None
