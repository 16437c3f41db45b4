"""Shared set-up: the tests' helper modules on the path, offline, headless figures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import grading  # noqa: E402

LESSONS = grading.manage.lesson_slugs()

# The longest tests first, so that the two workers finish together: `make test` runs pytest-xdist with
# `--dist load --maxschedchunk 1`, which hands out the tests one at a time, in this order, to whichever worker
# is free. The long tests that are not about one lesson (the hostile-submission corpus, the wheel installed in
# a fresh environment, the browser, ...) come first, then the grading round trips from the heaviest lessons
# down, and everything short last, so that no long test starts near the end.
SLOW_FILES = ["test_sandbox_corpus.py", "test_wheel.py", "test_browser.py", "test_serving.py",
              "test_course_models.py", "test_instructor.py"]


def pytest_collection_modifyitems(items):
    def cost(item) -> tuple:
        name = item.path.name
        lesson = item.callspec.params.get("slug", "") if hasattr(item, "callspec") else ""
        if name in SLOW_FILES:
            return (0, SLOW_FILES.index(name), "")
        if lesson:
            return (1, -int(lesson[:2]), name != "test_grading.py", name)
        return (2, 0, name)

    items.sort(key=cost)
