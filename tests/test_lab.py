"""Smoke test of the open-the-course command: JupyterLab starts headless, serves notebooks/, then stops."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lab_server import free_port, get, running

ROOT = Path(__file__).resolve().parents[1]


def test_make_serve_starts_jupyterlab_on_the_course(tmp_path):
    port, token = free_port(), "course-smoke-test"
    lab_args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
                f"--ServerApp.runtime_dir={tmp_path}")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "HOME": str(tmp_path)}
    with running(["make", "--no-print-directory", "serve", f"LAB_ARGS={lab_args}"], env, port, token,
                 cwd=ROOT) as base:
        status, page = get(f"{base}/lab", token)
        assert status == 200 and b"JupyterLab" in page
        _, listing = get(f"{base}/api/contents/", token)
        served = {item["name"] for item in json.loads(listing)["content"]}
        expected = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
        assert expected and expected <= served, f"the lab root should be notebooks/, it serves {sorted(served)}"
