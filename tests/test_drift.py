"""solutions/*.ipynb are exactly what the generator produces now, and the notebooks leak nothing.

That notebooks/ holds exactly what nbgrader generates is checked by the grading round trip
(tests/test_grading.py), which generates every student version anyway.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import LESSONS

import grading

manage = grading.manage


def normalised(notebook) -> str:
    return nbformat.writes(notebook)


@pytest.mark.parametrize("slug", LESSONS)
def test_solution_notebook_matches_its_text_twin(slug):
    built = manage.build_solution(manage.SOLUTIONS / f"{slug}.py")
    committed = (manage.SOLUTIONS / f"{slug}.ipynb").read_text()
    assert committed == normalised(built) + "\n", (
        f"solutions/{slug}.ipynb differs from solutions/{slug}.py: run `python grader/manage.py generate {slug}`")


def solution_blocks(text: str, begin: str, end: str) -> list[str]:
    return [block.strip() for block in re.findall(rf"{begin}\n(.*?)\n\s*{end}", text, flags=re.S)]


@pytest.mark.parametrize("slug", LESSONS)
def test_student_notebook_leaks_no_solution_or_hidden_test(slug):
    solution = nbformat.read(manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
    student_text = "\n".join(cell.source for cell in nbformat.read(manage.NOTEBOOKS / f"{slug}.ipynb", as_version=4).cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in student_text, f"notebooks/{slug}.ipynb contains '{marker}'"
    for cell in solution.cells:
        for block in solution_blocks(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"):
            assert block not in student_text, f"a reference solution of {slug} appears in the student version:\n{block}"
        for block in solution_blocks(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            assert block not in student_text, f"hidden tests of {slug} appear in the student version"


@pytest.mark.parametrize("slug", LESSONS)
def test_notebooks_are_stripped_with_stable_ids(slug):
    for folder in (manage.SOLUTIONS, manage.NOTEBOOKS):
        notebook = nbformat.read(folder / f"{slug}.ipynb", as_version=4)
        ids = [cell.id for cell in notebook.cells]
        assert len(ids) == len(set(ids)), f"{folder.name}/{slug}.ipynb has duplicate cell ids"
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{folder.name}/{slug}.ipynb keeps outputs"
            nbgrader = cell.metadata.get("nbgrader")
            if nbgrader:
                assert cell.id == nbgrader["grade_id"], "nbgrader cells are identified by their grade_id"
    # Building twice gives the same ids: they do not change between generations.
    first = manage.build_solution(manage.SOLUTIONS / f"{slug}.py")
    second = manage.build_solution(manage.SOLUTIONS / f"{slug}.py")
    assert [c.id for c in first.cells] == [c.id for c in second.cells]


def test_every_lesson_has_both_versions_and_a_readme_row():
    assert {p.stem for p in manage.SOLUTIONS.glob("*.ipynb")} == set(LESSONS)
    assert {p.stem for p in manage.NOTEBOOKS.glob("*.ipynb")} == set(LESSONS)
    readme = manage.README.read_text()
    assert manage.replace_table(readme, manage.lesson_table(LESSONS)) == readme, (
        "the README's lesson table is out of date: run `python grader/manage.py generate`")


def test_colab_links_follow_the_configured_repository():
    config = {"repository": "https://github.com/someone/fork", "branch": "dev"}
    assert manage.colab_url("04_attention", config) == (
        "https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/04_attention.ipynb")
    assert manage.install_spec(config) == "transformers-course @ git+https://github.com/someone/fork@dev"
    table = manage.lesson_table(LESSONS[:1], config)
    assert "someone/fork/blob/dev" in table
    for slug in LESSONS:
        student = (manage.NOTEBOOKS / f"{slug}.ipynb").read_text()
        assert manage.colab_url(slug) in student, f"{slug} lacks its Colab badge"
        assert manage.install_spec() in student, f"{slug} lacks the guarded Colab install cell"
