"""The grading round trip, with the real nbgrader autograder, for every lesson.

For each lesson: the reference solution earns full marks on every graded cell, the untouched student
version earns 0 on every graded cell, the lesson's typical wrong answers (tests/wrong_answers) lose points
on every graded cell, the student version runs without error up to its first exercise, and the notebook
runs within the budget recorded in its metadata.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import LESSONS, lesson_params

import grading


@pytest.mark.parametrize("slug", lesson_params())
def test_reference_solution_scores_full_marks(graded_lessons, slug):
    graded = graded_lessons(slug)
    result = graded.scores["reference"]
    assert set(result) == set(graded.points), "every graded cell must be in the gradebook"
    unscored = [grade_id for grade_id, (score, _) in result.items() if score is None]
    assert not unscored, f"graded cells left without a score: {unscored}"
    short = {grade_id: (score, maximum) for grade_id, (score, maximum) in result.items() if score != maximum}
    assert not short, f"the reference solution lost points:\n{graded.describe('reference')}"


@pytest.mark.parametrize("slug", lesson_params())
def test_untouched_stub_scores_zero(graded_lessons, slug):
    graded = graded_lessons(slug)
    earned = {grade_id: score for grade_id, (score, _) in graded.scores["stub"].items() if score != 0}
    assert not earned, f"the untouched student version earned points (tests that cannot fail?):\n{graded.describe('stub')}"


@pytest.mark.parametrize("slug", lesson_params())
def test_typical_wrong_answers_lose_points(graded_lessons, slug):
    graded = graded_lessons(slug)
    wrong = grading.load_wrong_answers(slug)
    missing = set(grading.answer_cells(graded.release)) - set(wrong.WRONG)
    assert not missing, f"every exercise needs a typical wrong answer in tests/wrong_answers/{slug}.py: {missing}"
    full = [grade_id for grade_id, (score, maximum) in graded.scores["wrong"].items() if score == maximum]
    assert not full, f"graded cells that a typical wrong answer still passes: {full}\n{graded.describe('wrong')}"


@pytest.mark.parametrize("slug", lesson_params())
def test_partial_fix_earns_part_of_the_points(graded_lessons, slug):
    wrong = grading.load_wrong_answers(slug)
    if not getattr(wrong, "PARTIAL", None):
        pytest.skip(f"{slug} has no exercise graded for partial fixes")
    graded = graded_lessons(slug)
    result = graded.scores["partial"]
    for grade_id in wrong.PARTIAL["full"]:
        assert result[grade_id][0] == result[grade_id][1], f"{grade_id} should pass:\n{graded.describe('partial')}"
    for grade_id in wrong.PARTIAL["zero"]:
        assert result[grade_id][0] == 0, f"{grade_id} should fail:\n{graded.describe('partial')}"
    total = sum(score for score, _ in result.values())
    assert 0 < total < sum(graded.points.values())


@pytest.mark.parametrize("slug", lesson_params())
def test_student_version_runs_up_to_first_exercise(graded_lessons, slug):
    graded = graded_lessons(slug)
    setup_cells = grading.cells_before_first_answer(graded.release)
    assert setup_cells, "the lesson has no cell before its first exercise"
    failed = {cell: error for cell, error in graded.errors["stub"].items() if cell in setup_cells}
    assert not failed, f"the student version fails before its first exercise: {failed}"


@pytest.mark.parametrize("slug", lesson_params())
def test_runtime_within_budget(graded_lessons, slug):
    graded = graded_lessons(slug)
    budget = nbformat.read(grading.manage.SOLUTIONS / f"{slug}.ipynb", as_version=4).metadata["course"][
        "budget_seconds"]
    assert budget <= grading.manage.MAX_BUDGET_SECONDS
    # Measured through the real autograder (kernel start and nbgrader included), so it is conservative.
    assert graded.solution_seconds <= budget, (
        f"{slug} took {graded.solution_seconds:.0f} s to run, over its budget of {budget} s")


def test_every_lesson_is_graded():
    assert LESSONS, "no lessons found in solutions/"
    for slug in LESSONS:
        notebook = nbformat.read(grading.manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
        points = grading.grade_cells(notebook)
        assert 2 <= len(grading.answer_cells(notebook)), f"{slug} needs at least two exercises"
        assert points, f"{slug} has no graded cell"
