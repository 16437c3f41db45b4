"""The hostile-submission corpus (tests/hostile/make_corpus.py) graded together with a correct student by the
instructor's command, ``manage.py autograde``, in parallel.

Checked: the correct student keeps full marks; every case gets the outcome it must (a ``PROBLEM`` line saying
what happened, and never more points than its honest answers deserve); no attack changed a grade, a
submitted file, the course's or the repository's configuration, or left a file or a process behind; no hidden
test code reached any feedback, and no attack read a hidden test before it ran (only the case that copies the
running test from its caller's frame shows test lines, in its raw record, and it is reported).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import grading

sys.path.insert(0, str(grading.ROOT / "grader"))
sys.path.insert(0, str(grading.ROOT / "tests" / "hostile"))
import autograding  # noqa: E402
import make_corpus  # noqa: E402
import sandbox  # noqa: E402

SLUG = make_corpus.SLUG
CELL_SECONDS, WALL_SECONDS = 40, 300
INFO = sandbox.probe()
pytestmark = pytest.mark.skipif(not INFO.available and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1",
                                reason=f"the corpus is graded in the sandbox, absent here: {INFO.reason}")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def marked_processes() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if make_corpus.MARKER.encode() in Path("/proc", pid, "cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


def grade_corpus(folder: Path) -> dict:
    course = grading.new_course(folder / "course")
    release = grading.manage.generate_student_version(course, SLUG, grading.manage.SOLUTIONS / f"{SLUG}.ipynb")
    solution = nbformat.read(grading.manage.SOLUTIONS / f"{SLUG}.ipynb", as_version=4)
    grading.submit(course, "correct", SLUG, grading.fill_answers(release, grading.answer_cells(solution)))
    cases = make_corpus.build(course, CELL_SECONDS, victim="correct")
    make_corpus.write(cases, course)
    protected = [course / "nbgrader_config.py", course / "source" / SLUG / f"{SLUG}.ipynb",
                 grading.ROOT / "grader" / "nbgrader_config.py"]
    before = {path: digest(path) for path in protected}
    submitted_before = autograding.file_hashes(course, SLUG)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(grading.ROOT / "grader" / "manage.py"), "autograde", SLUG, "--course-dir",
         str(course), "--jobs", "2", "--cell-timeout", str(CELL_SECONDS), "--timeout", str(WALL_SECONDS),
         "--memory", "3"], capture_output=True, text=True, env=grading.manage.nbgrader_env(), timeout=3600)
    seconds = time.monotonic() - start
    problems: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if match := re.match(r"PROBLEM (\S+): (.*)", line):
            problems.setdefault(match.group(1), []).append(match.group(2))
    with open(course / "grades.csv") as file:
        exported = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(file)
                    if row["assignment"] == SLUG}
    scores = {student: score for (assignment, student), score in
              autograding.read_scores(f"sqlite:///{course / 'gradebook.db'}", SLUG).items() if assignment == SLUG}
    return dict(course=course, cases=cases, result=result, problems=problems, exported=exported, scores=scores,
                seconds=seconds, protected=before, submitted_before=submitted_before)


def check_command_finishes_and_checks_itself(graded):
    result = graded["result"]
    print(f"corpus of {len(graded['cases'])} cases graded in {graded['seconds']:.0f} s")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "CHECK FAILED" not in result.stdout, result.stdout
    assert "checked: all" in result.stdout, result.stdout[-3000:]
    students = {case.name for case in graded["cases"]} | {"correct"}
    assert set(graded["scores"]) == students and set(graded["exported"]) == students


def check_the_correct_student_keeps_full_marks(graded):
    assert graded["scores"]["correct"] == 8.0 and graded["exported"]["correct"] == 8.0
    assert "correct" not in graded["problems"], graded["problems"].get("correct")


def check_every_case_gets_its_outcome(graded, subtests):
    for case in graded["cases"]:
        with subtests.test(msg=f"case {case.name}"):
            lines = graded["problems"].get(case.name, [])
            score = graded["scores"][case.name]
            if case.problem:
                assert any(re.search(case.problem, line) for line in lines), (
                    f"{case.name} ({case.what}): no PROBLEM line matching {case.problem!r}; got {lines}")
            else:
                assert not lines, f"{case.name} ({case.what}) should be graded without problem: {lines}"
            assert score <= case.max_score + 1e-9, f"ATTACK WORKED: {case.name} ({case.what}) earned {score}"
            if case.score is not None:
                assert score == case.score, f"{case.name} ({case.what}): {score} instead of {case.score}\n{lines}"
            assert graded["exported"][case.name] == score


def check_no_attack_changed_anything_outside_its_sandbox(graded):
    course = graded["course"]
    for path, before in graded["protected"].items():
        assert digest(path) == before, f"{path} changed while the corpus was graded"
    assert autograding.file_hashes(course, SLUG) == graded["submitted_before"], "a submitted file changed"
    left = [str(path) for top in (course, Path("/tmp"), Path.home()) for path in top.glob(f"*{make_corpus.MARKER}*")]
    assert not left, f"files left behind by attacks: {left}"
    assert not marked_processes(), "processes started by attacks are still running"


def check_no_hidden_test_reached_a_student(graded):
    course = graded["course"]
    source = nbformat.read(course / "source" / SLUG / f"{SLUG}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    hidden = autograding.Lesson.read(SLUG, source, release).hidden_lines
    assert hidden
    for feedback in (course / "autograded").glob(f"*/{SLUG}/{SLUG}.ipynb"):
        text = feedback.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and not [line for line in hidden if line in text], feedback
    for record in (course / "grading_logs" / SLUG).glob("*/executed.ipynb"):
        student = record.parent.name
        executed = nbformat.read(record, as_version=4)
        if student == "frame_peek":      # reads the running test from its caller: reported, and redacted above
            assert autograding.leaked(executed, hidden)
            continue
        assert not autograding.leaked(executed, hidden), f"{student} read hidden test code"
        outputs = json.dumps([cell.get("outputs", []) for cell in executed.cells])
        assert "EVIL STARTUP" not in outputs, f"an IPython start-up file of another submission ran for {student}"
        for word in ("WROTE", "REMOVED", "GRADEBOOK CHANGED", "CONNECTED", "RESOLVED"):
            assert word not in outputs, f"{student}: an attack succeeded ({word})"


def test_hostile_corpus(tmp_path, subtests):
    """One test (so that pytest-xdist grades the corpus once), each check a subtest."""
    graded = grade_corpus(tmp_path)
    for check in (check_command_finishes_and_checks_itself, check_the_correct_student_keeps_full_marks,
                  check_no_attack_changed_anything_outside_its_sandbox, check_no_hidden_test_reached_a_student):
        with subtests.test(msg=check.__name__.removeprefix("check_")):
            check(graded)
    check_every_case_gets_its_outcome(graded, subtests)
