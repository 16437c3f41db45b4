"""The grading round trip, with the real nbgrader autograder, for every lesson.

One test per lesson (so that pytest-xdist spreads lessons over workers); each check is a subtest: the
committed student notebook is exactly what nbgrader generates from the solution, the reference solution earns
full marks on every graded cell and runs without an error with every figure readable at notebook width
(tests/figure_audit.py), the untouched student version earns 0 on every graded cell, the lesson's typical wrong
answers (tests/wrong_answers) lose points on every graded cell, a partial fix earns part of the points (where
the lesson defines one), the student version runs without error up to its first exercise and "Run all" reaches
its last cell (only its tagged self-checks fail), and the notebook runs within the budget in its metadata.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from conftest import LESSONS

import grading


def check_committed_student_notebook_is_what_nbgrader_generates(graded: grading.GradedLesson) -> None:
    committed = (grading.manage.NOTEBOOKS / f"{graded.slug}.ipynb").read_text()
    assert committed == nbformat.writes(graded.release) + "\n", (
        f"notebooks/{graded.slug}.ipynb differs from what nbgrader generates: run `python grader/manage.py generate`")


def check_reference_full_marks(graded: grading.GradedLesson) -> None:
    result = graded.scores["reference"]
    assert set(result) == set(graded.points), "every graded cell must be in the gradebook"
    unscored = [grade_id for grade_id, (score, _) in result.items() if score is None]
    assert not unscored, f"graded cells left without a score: {unscored}"
    short = [grade_id for grade_id, (score, maximum) in result.items() if score != maximum]
    assert not short, f"the reference solution lost points:\n{graded.describe('reference')}"


def check_reference_runs_cleanly_with_readable_figures(graded: grading.GradedLesson) -> None:
    """The whole solution notebook runs without an error, and every figure is readable at notebook width."""
    assert not graded.errors["reference"], f"cells that fail with the reference solution: {graded.errors['reference']}"
    grading.figure_audit.records[:] = graded.figures
    problems = grading.figure_audit.problems()
    assert not problems, "figures that are hard to read at notebook width:\n" + "\n".join(problems)


def check_stub_zero(graded: grading.GradedLesson) -> None:
    earned = [grade_id for grade_id, (score, _) in graded.scores["stub"].items() if score != 0]
    assert not earned, f"the untouched student version earned points (tests that cannot fail?):\n{graded.describe('stub')}"


def check_wrong_answers_lose_points(graded: grading.GradedLesson) -> None:
    wrong = grading.load_wrong_answers(graded.slug)
    missing = set(grading.answer_cells(graded.release)) - set(wrong.WRONG)
    assert not missing, f"every exercise needs a typical wrong answer in tests/wrong_answers/{graded.slug}.py: {missing}"
    full = [grade_id for grade_id, (score, maximum) in graded.scores["wrong"].items() if score == maximum]
    assert not full, f"graded cells that a typical wrong answer still passes: {full}\n{graded.describe('wrong')}"


def check_partial_fix(graded: grading.GradedLesson) -> None:
    partial = grading.load_wrong_answers(graded.slug).PARTIAL
    result = graded.scores["partial"]
    for grade_id in partial["full"]:
        assert result[grade_id][0] == result[grade_id][1], f"{grade_id} should pass:\n{graded.describe('partial')}"
    for grade_id in partial["zero"]:
        assert result[grade_id][0] == 0, f"{grade_id} should fail:\n{graded.describe('partial')}"
    total = sum(score for score, _ in result.values())
    assert 0 < total < sum(graded.points.values())


def check_runs_up_to_first_exercise(graded: grading.GradedLesson) -> None:
    setup_cells = grading.cells_before_first_answer(graded.release)
    assert setup_cells, "the lesson has no cell before its first exercise"
    failed = {cell: error for cell, error in graded.errors["stub"].items() if cell in setup_cells}
    assert not failed, f"the student version fails before its first exercise: {failed}"


# How an unfinished exercise may fail in a self-check: the stub's NotImplementedError, an assertion, or a
# quiz check naming the answer that has not been given yet.
CLEAR_FAILURES = ("NotImplementedError", "AssertionError", "NameError: name 'answer_")


def check_run_all_reaches_the_end(graded: grading.GradedLesson) -> None:
    """"Run all" on the untouched student notebook reaches its last cell: the only cells that raise are the
    exercises' answer cells and self-checks (tagged raises-exception, so JupyterLab runs on past them), each
    with a clear failure; every demonstration runs, or says in one line that it waits for an exercise."""
    tagged = {cell.id for cell in graded.release.cells if "raises-exception" in cell.metadata.get("tags", [])}
    untagged = {cell: error for cell, error in graded.errors["stub"].items() if cell not in tagged}
    assert not untagged, f"'Run all' would stop at these cells of the untouched student notebook: {untagged}"
    unclear = {cell: error for cell, error in graded.errors["stub"].items()
               if not error.startswith(CLEAR_FAILURES)}
    assert not unclear, f"self-checks of the untouched student notebook that fail obscurely: {unclear}"


def check_runtime_within_budget(graded: grading.GradedLesson) -> None:
    budget = nbformat.read(grading.manage.SOLUTIONS / f"{graded.slug}.ipynb", as_version=4).metadata["course"][
        "budget_seconds"]
    assert budget <= grading.manage.MAX_BUDGET_SECONDS
    # The CPU time of the real autograder's run (kernel start and nbgrader included): what the notebook needs on
    # an idle machine, whatever the other test worker is running meanwhile.
    assert graded.solution_seconds <= budget, (
        f"{graded.slug} needed {graded.solution_seconds:.0f} s of CPU ({graded.solution_wall_seconds:.0f} s wall), "
        f"over its budget of {budget} s")


def check_variants_lose_points(graded: grading.GradedLesson) -> None:
    for number, variant in enumerate(grading.load_wrong_answers(graded.slug).VARIANTS, start=1):
        result = graded.scores[f"variant_{number}"]
        for grade_id in variant:
            cells = grading.exercise_cells(graded.points, grade_id)
            assert any(result[cell][0] != result[cell][1] for cell in cells), (
                f"VARIANTS[{number - 1}] of {graded.slug} still earns full marks on {grade_id}:\n"
                f"{graded.describe(f'variant_{number}')}")


# The extra wrong-answer VARIANTS cost one notebook run each: graded only on request.
GRADE_VARIANTS = os.environ.get("COURSE_GRADE_VARIANTS") == "1"


@pytest.mark.parametrize("slug", LESSONS)
def test_grading_round_trip(slug, tmp_path, subtests):
    graded = grading.grade_lesson(slug, tmp_path, variants=GRADE_VARIANTS)
    checks = [check_committed_student_notebook_is_what_nbgrader_generates, check_reference_full_marks,
              check_reference_runs_cleanly_with_readable_figures, check_stub_zero, check_wrong_answers_lose_points,
              check_runs_up_to_first_exercise, check_run_all_reaches_the_end, check_runtime_within_budget]
    if getattr(grading.load_wrong_answers(slug), "PARTIAL", None):
        checks.append(check_partial_fix)
    if GRADE_VARIANTS and getattr(grading.load_wrong_answers(slug), "VARIANTS", None):
        checks.append(check_variants_lose_points)
    for check in checks:
        with subtests.test(msg=check.__name__.removeprefix("check_")):
            check(graded)


def test_every_lesson_is_graded():
    assert LESSONS, "no lessons found in solutions/"
    for slug in LESSONS:
        notebook = nbformat.read(grading.manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
        assert len(grading.answer_cells(notebook)) >= 2, f"{slug} needs at least two exercises"
        assert grading.grade_cells(notebook), f"{slug} has no graded cell"
