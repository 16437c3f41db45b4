"""The lesson builder refuses sources that break the course's rules, with a message that says which rule."""

from __future__ import annotations

import nbformat
import pytest

import grading

manage = grading.manage

HEADER = "# ---\n# jupyter:\n#   course:\n#     title: Demo\n#     budget_seconds: {budget}\n# ---\n\n"
ANSWER = '# %% nbgrader={{"solution": true, "grade_id": "ex1"}}\ndef f():\n{body}\n\n'
TEST = '# %% nbgrader={{"grade": true, "grade_id": "ex1_test", "points": {points}}}\nassert f() == 1\n'
GOOD_BODY = "    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"


def twin(tmp_path, budget=30, body=GOOD_BODY, points=2):
    path = tmp_path / "99_demo.py"
    path.write_text(HEADER.format(budget=budget) + "# %% [markdown]\n# # Demo\n# {{COLAB_BADGE}}\n\n"
                    + ANSWER.format(body=body) + TEST.format(points=points))
    return path


def test_build_completes_nbgrader_metadata_and_ids(tmp_path):
    notebook = manage.build_solution(twin(tmp_path))
    answer, test = notebook.cells[1], notebook.cells[2]
    assert answer.metadata["nbgrader"] == {"grade": False, "grade_id": "ex1", "locked": False,
                                           "schema_version": 3, "solution": True, "task": False}
    assert test.metadata["nbgrader"]["locked"] and test.metadata["nbgrader"]["points"] == 2
    assert [cell.id for cell in notebook.cells] == ["99-000", "ex1", "ex1_test"]
    assert manage.colab_url("99_demo") in notebook.cells[0].source
    assert notebook.metadata["course"] == {"title": "Demo", "budget_seconds": 30}


@pytest.mark.parametrize("kwargs, message", [
    ({"budget": 120}, "budget_seconds must be in"),
    ({"body": "    return 1"}, "needs ### BEGIN SOLUTION"),
    ({"points": 0}, "needs positive points"),
])
def test_build_rejects_broken_sources(tmp_path, kwargs, message):
    with pytest.raises(manage.LessonError, match=message):
        manage.build_solution(twin(tmp_path, **kwargs))


def test_submission_problems_are_named(tmp_path):
    solution = manage.build_solution(twin(tmp_path))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not a notebook")
    assert "not a readable notebook" in manage.submission_problems(broken, solution)[0]
    recreated = tmp_path / "recreated.ipynb"
    copy = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f():\n    return 1")])
    nbformat.write(copy, recreated)
    assert "no answer cell of this lesson is present" in manage.submission_problems(recreated, solution)[0]
    intact = tmp_path / "intact.ipynb"
    nbformat.write(solution, intact)
    assert manage.submission_problems(intact, solution) == []
