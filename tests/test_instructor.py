"""The instructor's workflow of README.md, with the commands it documents, on lesson 04.

Two hand-made submissions: alice's is correct, bob's forgets the sqrt(d_k) scale. After autograding,
feedback and export, the exported grades give alice full marks and bob fewer. A third, broken submission
is reported with a message instead of a crash or a silent zero.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import nbformat
import pytest

import grading

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
    graded = run([*manage, "autograde", SLUG, "--course-dir", str(course)], cwd=course)
    assert graded.returncode == 1, "a broken submission must make the command exit non-zero"
    assert "PROBLEM carol: not a readable notebook" in graded.stdout, graded.stdout
    assert "alice" in graded.stdout and "bob" in graded.stdout

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
