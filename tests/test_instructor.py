"""The instructor's workflow of README.md, with the commands it documents, on lesson 04.

Two hand-made submissions: alice's is correct, bob's forgets the sqrt(d_k) scale. After autograding (in the
sandbox, two at a time), feedback and export, the exported grades give alice full marks and bob fewer, and
bob's feedback shows the failing test's message but no hidden test code. A third, broken submission is
reported with a message instead of a crash or a silent zero. Without a sandbox the command refuses to grade
unless told --no-sandbox, and then warns loudly.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import nbformat
import pytest

import grading

sys.path.insert(0, str(grading.ROOT / "grader"))
import autograding  # noqa: E402
import sandbox  # noqa: E402

SANDBOXED = sandbox.probe().available or os.environ.get("COURSE_REQUIRE_SANDBOX") == "1"
SLUG = "04_attention"
CORRECT_SCORES = '''
def attention_scores(q, k):
    return q @ k.transpose(-2, -1) / math.sqrt(k.shape[-1])
'''
UNSCALED_SCORES = '''
def attention_scores(q, k):
    return q @ k.transpose(-2, -1)
'''


def run(command, cwd):
    return subprocess.run(command, cwd=cwd, env=grading.manage.nbgrader_env(), capture_output=True, text=True)


def test_instructor_workflow_exports_grades(tmp_path):
    course = grading.new_course(tmp_path / "course")
    release = grading.manage.generate_student_version(course, SLUG, grading.manage.SOLUTIONS / f"{SLUG}.ipynb")
    solution = nbformat.read(grading.manage.SOLUTIONS / f"{SLUG}.ipynb", as_version=4)
    answers = grading.answer_cells(solution)
    grading.submit(course, "alice", SLUG, grading.fill_answers(release, {**answers, "ex04_1": CORRECT_SCORES}))
    grading.submit(course, "bob", SLUG, grading.fill_answers(release, {**answers, "ex04_1": UNSCALED_SCORES}))
    broken = course / "submitted" / "carol" / SLUG / f"{SLUG}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this upload was cut short')

    manage = [sys.executable, str(grading.manage.GRADER / "manage.py")]
    options = ["--jobs", "2"] + ([] if SANDBOXED else ["--no-sandbox"])
    graded = run([*manage, "autograde", SLUG, "--course-dir", str(course), *options], cwd=course)
    assert graded.returncode == 1, "a broken submission must make the command exit non-zero"
    assert "PROBLEM carol: not a readable notebook" in graded.stdout, graded.stdout
    assert "alice" in graded.stdout and "bob" in graded.stdout
    assert "PROBLEM alice" not in graded.stdout and "PROBLEM bob" not in graded.stdout, graded.stdout
    assert "checked: all 3 graded student(s)" in graded.stdout, graded.stdout
    assert ("WARNING: GRADING WITHOUT A SANDBOX" in graded.stdout) is not SANDBOXED

    feedback = run(["nbgrader", "generate_feedback", SLUG], cwd=course)
    assert feedback.returncode == 0, feedback.stderr
    assert (course / "feedback" / "bob" / SLUG / f"{SLUG}.html").is_file()
    exported = run(["nbgrader", "export"], cwd=course)
    assert exported.returncode == 0, exported.stderr

    with open(course / "grades.csv") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file)}
    alice, bob = float(rows["alice"]["score"]), float(rows["bob"]["score"])
    maximum = float(rows["alice"]["max_score"])
    assert alice == maximum, f"alice's correct submission should get full marks, got {alice}/{maximum}"
    assert bob < maximum, f"bob forgot the sqrt(d_k) scale and should lose points, got {bob}/{maximum}"
    feedback_html = (course / "feedback" / "bob" / SLUG / f"{SLUG}.html").read_text()
    assert "should be q·k/sqrt(d_k)" in feedback_html, "bob's feedback should show the failing check's message"
    import html

    lesson = autograding.read_lesson(course, SLUG)
    shown = html.unescape(feedback_html)
    assert "BEGIN HIDDEN TESTS" not in shown
    assert not [line for line in lesson.hidden_lines if line in shown], "feedback must not show hidden tests"
    assert (course / "grading_logs" / SLUG / "bob" / "executed.ipynb").is_file(), "the instructor's record"


def test_grading_refuses_to_run_unsandboxed_silently(tmp_path, monkeypatch):
    """Without a working sandbox: a clear error and exit status 2, never a silent fallback."""
    import io

    monkeypatch.setattr(sandbox, "_PROBED", sandbox.SandboxInfo(False, "bubblewrap is not installed"))
    out = io.StringIO()
    status = autograding.autograde(SLUG, tmp_path, out=out)
    assert status == 2
    assert "cannot grade safely: bubblewrap is not installed" in out.getvalue()
    assert "--no-sandbox" in out.getvalue()
