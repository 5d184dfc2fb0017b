"""JupyterLab on loopback and a headless Chromium that uses it the way a student does.

`JupyterLab` starts `jupyter lab` on 127.0.0.1 with a random port, a random token and its own
runtime, config, settings and workspace folders, so nothing of the developer's own Jupyter setup
leaks in and nothing is left behind. `open_browser` starts Debian's Chromium through Playwright
(never a downloaded browser). `NotebookPage` opens a notebook, runs it with the menu command a
student uses (Run > Run All Cells), waits for the kernel to go idle and reads back what the page
shows: each cell's prompt, its outputs' kinds and text, and its images.
"""
import contextlib
import glob
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Chromium's flags for this machine's closed network: without the background-networking ones it
# keeps trying to reach Google's hosts. --no-sandbox because CI runs as root.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
START_TIMEOUT_S = 90
RUN_TIMEOUT_S = 120

# JupyterLab settings that make a run deterministic: every cell stays in the page (no windowing,
# so outputs far down the notebook can be read), and no news pop-up covers the notebook.
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def chromium_path():
    """Return the system Chromium to drive ($TFCOURSE_CHROMIUM first), or None if there is none."""
    candidates = [os.environ.get("TFCOURSE_CHROMIUM")] + CHROMIUM_CANDIDATES + [shutil.which("chromium")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


class JupyterLab:
    """A `jupyter lab` server on 127.0.0.1 serving `root_dir`, started and stopped by the test.

    The server's working directory is `root_dir` too: nbgrader's Validate and formgrader read
    `nbgrader_config.py` from there.
    """

    def __init__(self, root_dir):
        self.root_dir = Path(root_dir).resolve()
        self.token = secrets.token_hex(16)
        self.home = Path(tempfile.mkdtemp(prefix="tfcourse-jupyter-"))
        self.process = None
        self.url = None
        self.log_path = self.home / "server.log"

    def start(self):
        runtime = self.home / "runtime"
        settings = self.home / "settings"
        for relative, values in USER_SETTINGS.items():
            (settings / relative).parent.mkdir(parents=True, exist_ok=True)
            (settings / relative).write_text(json.dumps(values))
        (self.home / "config" / "labconfig").mkdir(parents=True)
        (self.home / "config" / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(self.home / "config"),
                   IPYTHONDIR=str(self.home / "ipython"), MPLCONFIGDIR=str(self.home / "matplotlib"))
        # The kernel must draw inline plots, whatever backend the test process was told to use.
        env.pop("MPLBACKEND", None)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                   "--ip=127.0.0.1", "--port=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root_dir}",
                   f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(self.log_path, "wb") as log:
            # Its own process group, so stopping it also stops the kernels it started.
            self.process = subprocess.Popen(command, cwd=self.root_dir, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.url = self._wait_for_url(runtime)
        return self

    def _wait_for_url(self, runtime):
        """Read the port the server picked from its info file, then wait until its API answers."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}")
            infos = glob.glob(str(runtime / f"jpserver-{self.process.pid}.json"))
            if infos:
                with contextlib.suppress(OSError, ValueError):
                    url = json.loads(Path(infos[0]).read_text())["url"]
                    self.api("api/status", base=url)
                    return url
            time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer within {START_TIMEOUT_S} s:\n{self.log()}")

    def api(self, path, method="GET", data=None, base=None):
        """Call the server's HTTP API with the token; return the decoded JSON answer."""
        request = urllib.request.Request((base or self.url) + path, method=method, data=data,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"null")

    def page_url(self, path):
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def log(self):
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def open_browser(executable):
    """Yield a Playwright browser context of the system Chromium with a fresh profile."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="tfcourse-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900})
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Output:
    """One output as the page renders it: its MIME type, its visible text, its images."""
    mime: str
    text: str
    images: int

    @property
    def is_stderr(self):
        # JupyterLab renders both tracebacks and writes to stderr with this type.
        return self.mime == "application/vnd.jupyter.stderr"


@dataclass
class Cell:
    index: int
    kind: str                   # "code", "markdown" or "raw"
    prompt: str                 # "[3]:" once run, "[ ]:" never run, "[*]:" running
    outputs: list = field(default_factory=list)

    @property
    def executed(self):
        return bool(re.fullmatch(r"\[\d+\]:", self.prompt))

    @property
    def images(self):
        return sum(output.images for output in self.outputs)

    @property
    def stderr(self):
        return "".join(output.text for output in self.outputs if output.is_stderr)


# Reads the notebook as rendered. Sources are not read here: the editor draws only the lines in view.
_READ_CELLS = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')]
  .map((cell, index) => ({
    index,
    kind: cell.classList.contains('jp-CodeCell') ? 'code'
        : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
    prompt: ((cell.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(out => ({
      mime: out.dataset.mimeType || (out.querySelector('[data-mime-type]') || {dataset: {}}).dataset.mimeType || '',
      text: out.innerText,
      images: out.querySelectorAll('img, svg.main-svg, canvas').length,
    })),
  }))"""


# The notebook's scrolling container.
_OUTER = "document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"


class NotebookPage:
    """One notebook open in JupyterLab, driven through the page as a student would."""

    def __init__(self, page, lab):
        self.page = page
        self.lab = lab

    def open(self, path):
        """Open `path` (relative to the server's root) and wait until its kernel is idle.

        Each page gets a workspace of its own, reset, so the notebook is the only one open and
        menu commands act on it.
        """
        self.page.goto(self.lab.page_url(f"lab/workspaces/{secrets.token_hex(6)}/tree/{path}?reset"))
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=START_TIMEOUT_S * 1000)
        panels = self.page.locator(".jp-NotebookPanel").count()
        assert panels == 1, f"expected only {path} open in the new workspace, found {panels} notebooks"
        self._accept_kernel_dialog()
        self.wait_until_idle()
        return self

    def _accept_kernel_dialog(self):
        """A notebook without kernel metadata asks which kernel to start: take the default."""
        with contextlib.suppress(Exception):
            self.page.locator(".jp-Dialog .jp-mod-accept").click(timeout=1500)

    def run_all(self):
        """Run every cell with Run > Run All Cells, then wait until the kernel is idle again."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        self.page.wait_for_function(  # execution has started: some prompt is no longer "[ ]:"
            """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')]
                     .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))""", timeout=START_TIMEOUT_S * 1000)
        self.wait_until_idle()
        return self.cells()

    def wait_until_idle(self, timeout_s=RUN_TIMEOUT_S):
        """Wait until a kernel is connected and idle, and no cell is queued or running.

        The toolbar's execution indicator says "idle" before any kernel exists too, so the
        status bar must also name a kernel that is idle ("Python 3 (ipykernel) | Idle").
        """
        self.page.wait_for_function(
            """() => {
                 const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                 const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
                 const bar = (document.querySelector('#jp-main-statusbar') || {}).innerText || '';
                 const busy = [...panel.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
                 return status && status.dataset.status === 'idle' && !busy
                        && bar.includes('| Idle') && !bar.includes('No Kernel');
               }""", timeout=timeout_s * 1000, polling=250)

    def cells(self):
        """The cells as the page shows them now."""
        return [Cell(**{**c, "outputs": [Output(**o) for o in c["outputs"]]})
                for c in self.page.evaluate(_READ_CELLS)]

    def toolbar_button(self, css_class):
        return self.page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar .{css_class}")

    def screenshot(self, path):
        """Save a picture of the whole notebook, top to bottom, to `path`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate(f"() => {_OUTER}.scrollHeight")
        size = self.page.viewport_size
        # The notebook scrolls inside its panel, so grow the window until all of it fits.
        self.page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], height + 200), 20000)})
        try:
            # Run All leaves the view at the last cell: start the picture at the top.
            self.page.evaluate(f"() => {{ {_OUTER}.scrollTop = 0; }}")
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(size)
