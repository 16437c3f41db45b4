"""The course as a student meets it: JupyterLab on the loopback address, driven by a real browser (Debian's
Chromium and its driver, through Selenium).

The untouched student version of lesson 05 is opened and run with "Run all". The test checks that Run All
goes past the unfinished exercises to the end, that the attention explorer renders as widgets (a sentence
box, layer and head dropdowns), that choosing another layer redraws its figure, that the browser console
shows no error, and that no request leaves the machine except for the Colab badge image. Screenshots are
saved in test-artifacts/browser/ (or $COURSE_ARTIFACTS/browser/).

Chromium and its driver: `apt-get install chromium chromium-driver` (Debian/Ubuntu). .ci/run installs them
and sets COURSE_REQUIRE_BROWSER=1, so that there a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from lab_server import free_port, running

ROOT = Path(__file__).resolve().parents[1]
LESSON = "05_multi_head_attention"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("COURSE_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
# The only address outside the machine that a notebook may ask for: the Colab badge in its title cell.
ALLOWED_REMOTE = {"https://colab.research.google.com/assets/colab-badge.svg"}

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and not REQUIRED,
    reason="Chromium and chromedriver are not installed (Debian/Ubuntu: apt-get install chromium chromium-driver)")


def test_browser_is_available_where_required():
    if REQUIRED:
        assert CHROMIUM and DRIVER, "install Chromium and its driver: apt-get install chromium chromium-driver"


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1, serving a copy of the student notebook (autosave must not touch notebooks/)."""
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{LESSON}.ipynb", root)
    port, token = free_port(), "course-browser-test"
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("MPLBACKEND", None)  # the kernel must use the notebook's inline backend
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               f"--ServerApp.runtime_dir={tmp_path / 'runtime'}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.getuid() == 0:
        command.append("--allow-root")
    with running(command, env, port, token) as base:
        yield base, token


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     f"--user-data-dir={tmp_path / 'chromium'}", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{LESSON}-{name}.png"))


# The notebook panel in JupyterLab's main area (window.jupyterapp: --LabApp.expose_app_in_browser).
PANEL = ("const app = window.jupyterapp;"
         "const panel = app && Array.from(app.shell.widgets('main')).find(widget => widget.sessionContext);"
         "const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;")


def kernel_status(driver) -> str | None:
    return driver.execute_script(PANEL + "return kernel ? kernel.status : null;")


def explorer_image(driver) -> str:
    """The src of the figure inside the explorer's widget output (a PNG data URL)."""
    images = driver.find_elements(By.CSS_SELECTOR, ".widget-vbox .widget-output img, .jupyter-widgets-output-area img")
    return images[-1].get_attribute("src") if images else ""


def test_run_all_renders_the_attention_explorer_and_nothing_leaves_the_machine(lab, browser):
    base, token = lab
    browser.get(f"{base}/lab/tree/{LESSON}.ipynb?token={token}")
    wait = WebDriverWait(browser, 120, poll_frequency=1)
    wait.until(lambda driver: kernel_status(driver) == "idle")
    screenshot(browser, "1-opened")

    browser.execute_script(PANEL + "app.shell.activateById(panel.id);"
                           "return app.commands.execute('notebook:run-all-cells');")
    WebDriverWait(browser, 30, poll_frequency=0.5).until(lambda driver: kernel_status(driver) == "busy")
    # Idle for a few seconds in a row: the run is over (the kernel is idle for a moment between cells).
    idle_since = [None]

    def finished(driver) -> bool:
        if kernel_status(driver) != "idle":
            idle_since[0] = None
            return False
        idle_since[0] = idle_since[0] or time.monotonic()
        return time.monotonic() - idle_since[0] > 5

    WebDriverWait(browser, 400, poll_frequency=1).until(finished)
    screenshot(browser, "2-run-all")

    # Run All went to the end: the last code cell has an execution count.
    counts = browser.execute_script(
        PANEL + "return panel.content.widgets.filter(cell => cell.model.type === 'code')"
                ".map(cell => cell.model.executionCount);")
    assert counts and counts[-1] is not None, f"Run all stopped before the last cell: execution counts {counts}"

    # The explorer: a sentence box and two dropdowns (layer, head), with a figure.
    boxes = browser.find_elements(By.CSS_SELECTOR, ".widget-text input")
    dropdowns = browser.find_elements(By.CSS_SELECTOR, ".widget-dropdown select")
    assert boxes and len(dropdowns) >= 2, "the attention explorer did not render as widgets"
    labels = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".widget-dropdown label")]
    assert "Layer" in labels and "Head" in labels, labels
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", dropdowns[0])
    before = explorer_image(browser)
    assert before.startswith("data:image/png"), "the explorer shows no figure"
    screenshot(browser, "3-explorer")

    layer = Select(dropdowns[-2])
    layer.select_by_index((layer.options.index(layer.first_selected_option) + 1) % len(layer.options))
    WebDriverWait(browser, 60, poll_frequency=1).until(
        lambda driver: explorer_image(driver) not in ("", before))
    screenshot(browser, "4-redrawn")

    # Offline, the Colab badge cannot load: that one failure is expected; any other error is not.
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and not any(entry["message"].startswith(f"{url} ") for url in ALLOWED_REMOTE)]
    assert not errors, "the browser console shows errors:\n" + "\n".join(entry["message"] for entry in errors)

    requested = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    remote = {url for url in requested
              if urlparse(url).scheme in ("http", "https", "ws", "wss")
              and urlparse(url).hostname not in ("127.0.0.1", "localhost")}
    assert remote <= ALLOWED_REMOTE, f"requests that leave the machine: {sorted(remote - ALLOWED_REMOTE)}"
