"""Drive the real nbgrader autograder on hand-built submissions and read the scores from its gradebook."""

from __future__ import annotations

import copy
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "grader"))
sys.path.insert(0, str(ROOT / "tests"))
import figure_audit  # noqa: E402
import manage  # noqa: E402

WRONG_ANSWERS = ROOT / "tests" / "wrong_answers"


def new_course(folder: Path) -> Path:
    """An empty nbgrader course in ``folder`` with the course's own configuration."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "grader" / "nbgrader_config.py", folder / "nbgrader_config.py")
    return folder


def answer_cells(notebook) -> dict[str, str]:
    """``{grade_id: source}`` of the answer (solution) cells."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def grade_cells(notebook) -> dict[str, float]:
    """``{grade_id: points}`` of the graded test cells."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")}


def fill_answers(release, answers: dict[str, str]):
    """A copy of the student version with some answer cells replaced, as a student would type them."""
    unknown = set(answers) - set(answer_cells(release))
    if unknown:
        raise KeyError(f"no answer cells named {sorted(unknown)}; the lesson has {sorted(answer_cells(release))}")
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return submission


# The reference run also measures every figure the notebook draws, as a reader sees it (inline backend):
# one cell before the notebook installs tests/figure_audit.py, one after prints what it measured.
AUDIT_START = f"""%matplotlib inline
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
import figure_audit
figure_audit.install()"""
AUDIT_END = "import json\nprint('FIGURE_AUDIT' + json.dumps(figure_audit.records))"


def with_figure_audit(notebook):
    audited = copy.deepcopy(notebook)
    audited.cells.insert(0, nbformat.v4.new_code_cell(AUDIT_START, id="figure-audit-start"))
    audited.cells.append(nbformat.v4.new_code_cell(AUDIT_END, id="figure-audit-end"))
    return audited


def figure_records(course: Path, slug: str, student: str) -> list[dict]:
    """What the figure audit measured in one autograded submission."""
    notebook = nbformat.read(course / "autograded" / student / slug / f"{slug}.ipynb", as_version=4)
    end = next(cell for cell in notebook.cells if cell.get("id") == "figure-audit-end")
    printed = "".join(output.get("text", "") for output in end.get("outputs", []))
    if "FIGURE_AUDIT" not in printed:
        raise RuntimeError(f"the figure audit of {slug} printed nothing: {end.get('outputs')}")
    return json.loads(printed.split("FIGURE_AUDIT", 1)[1])


def submit(course: Path, student: str, slug: str, notebook) -> None:
    folder = course / "submitted" / student / slug
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{slug}.ipynb")


def autograde(course: Path, slug: str, student: str | None = None) -> tuple[float, float]:
    """Run ``nbgrader autograde``; return its wall time and its CPU time in seconds (user + system, of
    nbgrader and the kernels it ran). Already graded students are skipped.

    The CPU time is what the run needs, whatever else the machine is doing: for a notebook that computes on
    one thread it equals the wall time on an idle machine (and exceeds it where it uses several threads), so
    budgets are checked against it. The wall time also counts the time spent waiting for a busy CPU.
    """
    command = [sys.executable, "-m", "nbgrader", "autograde", slug, "--log-level=WARN"]
    if student:
        command.append(f"--student={student}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=course, env=manage.nbgrader_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader autograde {slug} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def scores(course: Path, slug: str, student: str) -> dict[str, tuple[float | None, float]]:
    """``{grade_id: (score, max_score)}`` for one graded submission, read from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(slug, slug, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}


def errors_by_cell(course: Path, slug: str, student: str) -> dict[str, str]:
    """``{cell id: "ErrorName: message"}`` of the cells that raised in the autograded notebook."""
    notebook = nbformat.read(course / "autograded" / student / slug / f"{slug}.ipynb", as_version=4)
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found[cell.id] = f"{output['ename']}: {output['evalue']}"[:400]
    return found


def cells_before_first_answer(notebook) -> list[str]:
    ids = []
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            break
        ids.append(cell.id)
    return ids


def load_wrong_answers(slug: str):
    """The lesson's typical wrong answers: ``tests/wrong_answers/<slug>.py`` (WRONG, and optional PARTIAL)."""
    path = WRONG_ANSWERS / f"{slug}.py"
    if not path.is_file():
        raise FileNotFoundError(f"lesson {slug} has no typical wrong answers in {path.relative_to(ROOT)}")
    spec = importlib.util.spec_from_file_location(f"wrong_{slug}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class GradedLesson:
    """One lesson graded by the real autograder: the reference, the untouched stub, the wrong answers."""

    slug: str
    course: Path
    release: object
    points: dict[str, float]
    solution_seconds: float  # CPU time of the reference run (see autograde)
    solution_wall_seconds: float = 0.0
    scores: dict[str, dict[str, tuple[float | None, float]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)

    def describe(self, student: str) -> str:
        lines = [f"{grade_id}: {score} / {maximum}" for grade_id, (score, maximum) in self.scores[student].items()]
        lines += [f"  error in {cell}: {message}" for cell, message in self.errors[student].items()]
        return "\n".join(lines)


def exercise_cells(points: dict[str, float], grade_id: str) -> list[str]:
    """The graded cells of one exercise: ``ex04_3`` -> ``["ex04_3_test"]``, ``ex01_1`` -> ``[..._test_a, ..._test_b]``."""
    return [cell for cell in points if cell == f"{grade_id}_test" or cell.startswith(f"{grade_id}_test_")]


def grade_lesson(slug: str, folder: Path, variants: bool = False) -> GradedLesson:
    """Generate the student version of ``slug`` and autograde four kinds of submission in ``folder``.

    ``reference``: answer cells filled with the reference solution (timed on its own; every figure it draws
    is measured by tests/figure_audit.py);
    ``stub``: the student version untouched;
    ``wrong``: every answer cell replaced by its typical wrong answer (tests/wrong_answers);
    ``partial``: when the lesson defines PARTIAL, a submission that fixes only part of an exercise;
    ``variant_N`` (only with ``variants=True``): each dict of the optional ``VARIANTS`` list in the wrong
    answers file — more typical mistakes, one per exercise it names — on top of the reference solution.
    """
    course = new_course(folder)
    solution = nbformat.read(manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
    release = manage.generate_student_version(course, slug, manage.SOLUTIONS / f"{slug}.ipynb")
    wrong = load_wrong_answers(slug)

    submit(course, "reference", slug, with_figure_audit(fill_answers(release, answer_cells(solution))))
    solution_wall_seconds, solution_seconds = autograde(course, slug, "reference")
    submit(course, "stub", slug, release)
    submit(course, "wrong", slug, fill_answers(release, wrong.WRONG))
    students = ["reference", "stub", "wrong"]
    if getattr(wrong, "PARTIAL", None):
        submit(course, "partial", slug, fill_answers(release, {**answer_cells(solution), **wrong.PARTIAL["answers"]}))
        students.append("partial")
    if variants:
        for number, variant in enumerate(getattr(wrong, "VARIANTS", []), start=1):
            submit(course, f"variant_{number}", slug, fill_answers(release, {**answer_cells(solution), **variant}))
            students.append(f"variant_{number}")
    autograde(course, slug)

    graded = GradedLesson(slug, course, release, grade_cells(solution), solution_seconds, solution_wall_seconds)
    graded.figures = figure_records(course, slug, "reference")
    for student in students:
        graded.scores[student] = scores(course, slug, student)
        graded.errors[student] = errors_by_cell(course, slug, student)
    return graded


def main(argv: list[str] | None = None) -> int:
    """Author's loop for one lesson: rebuild it, grade it with nbgrader, print every score.

        python tests/grading.py 04_attention

    Uses a private temporary course folder, so several lessons can be checked at once.
    """
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("slug")
    parser.add_argument("--variants", action="store_true",
                        help="also grade each VARIANTS submission of the wrong answers file (slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        manage.write_lesson(args.slug, new_course(Path(folder) / "build"))
        graded = grade_lesson(args.slug, Path(folder) / "grade", variants=args.variants)
        for student in graded.scores:
            print(f"--- {student}\n{graded.describe(student)}")
        if args.variants:
            for number, variant in enumerate(getattr(load_wrong_answers(args.slug), "VARIANTS", []), start=1):
                result = graded.scores[f"variant_{number}"]
                for grade_id in variant:
                    cells = exercise_cells(graded.points, grade_id)
                    lost = any(result[cell][0] != result[cell][1] for cell in cells)
                    print(f"variant_{number} {grade_id}: {'loses points' if lost else 'FULL MARKS (not caught)'}")
        figure_audit.records[:] = graded.figures
        for problem in figure_audit.problems():
            print(f"FIGURE: {problem}")
        print(f"--- {len(graded.figures)} figures measured, {len(figure_audit.problems())} hard to read")
        print(f"--- reference solution needed {graded.solution_seconds:.1f} s of CPU "
              f"({graded.solution_wall_seconds:.1f} s wall; autograder included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
