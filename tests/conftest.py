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

# The longest tests first, so that the two workers finish together (pytest-xdist hands tests out in order):
# the grading round trips of the heaviest lessons, the wheel installed in a fresh
# environment, the browser, the hostile-submission corpus; everything short after them.
SLOW_FILES = ["test_grading.py", "test_sandbox_corpus.py", "test_wheel.py",
              "test_browser.py", "test_serving.py", "test_course_models.py", "test_instructor.py"]


def pytest_collection_modifyitems(items):
    def cost(item) -> tuple:
        name = item.path.name
        rank = SLOW_FILES.index(name) if name in SLOW_FILES else len(SLOW_FILES)
        lesson = item.callspec.params.get("slug", "") if hasattr(item, "callspec") else ""
        return (rank if not lesson else 0, "" if not lesson else chr(0x10FFFF - int(lesson[:2])), name)

    items.sort(key=cost)
