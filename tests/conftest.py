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
