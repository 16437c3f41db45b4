"""Shared fixtures. Lessons are graded once per worker and reused by every test about them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import grading  # noqa: E402

LESSONS = grading.manage.lesson_slugs()


def lesson_params():
    """One parameter per lesson, grouped so that pytest-xdist (--dist loadgroup) grades a lesson once."""
    return [pytest.param(slug, marks=pytest.mark.xdist_group(slug), id=slug) for slug in LESSONS]


@pytest.fixture(scope="session")
def graded_lessons(tmp_path_factory):
    cache: dict[str, grading.GradedLesson] = {}

    def get(slug: str) -> grading.GradedLesson:
        if slug not in cache:
            cache[slug] = grading.grade_lesson(slug, tmp_path_factory.mktemp(f"course_{slug}"))
        return cache[slug]

    return get
