"""The instructor's command: rebuild every notebook of the course from its one source.

    python grader/manage.py generate            # all lessons
    python grader/manage.py generate 04_attention
    python grader/manage.py autograde 04_attention   # after copying submissions into grader/submitted/
    python grader/manage.py autograde 04_attention --jobs 4 --timeout 600 --memory 4

``autograde`` checks every submission, grades each one alone in a sandbox and in parallel, and records and
verifies the grades: see grader/autograding.py (the steps) and grader/sandbox.py (the sandbox).

For each lesson ``solutions/NN_slug.py`` (the text twin a person edits, jupytext "percent" format) it
1. builds the nbgrader source notebook ``solutions/NN_slug.ipynb``: completes the nbgrader metadata of the
   answer and test cells, fills in the Colab badge and install cell from ``[tool.course]`` in
   ``pyproject.toml``, gives every cell a stable id, keeps no outputs;
2. runs the real ``nbgrader generate_assignment`` in ``grader/`` and copies the student version to
   ``notebooks/NN_slug.ipynb``;
3. rewrites the lesson table of ``README.md``.

tests/test_drift.py (solution notebooks, README table) and the grading round trip in tests/test_grading.py
(student notebooks) fail when a committed file differs from what this command produces now.

Twin conventions (see "Writing or changing a lesson" in README.md):
    # %% nbgrader={"solution": true, "grade_id": "ex04_1"}            an answer cell
    # %% nbgrader={"grade": true, "grade_id": "ex04_1_test", "points": 2}   a locked, graded test cell
Placeholders: ``{{COLAB_BADGE}}`` (title cell) and ``{{INSTALL_SPEC}}``: the code cell that holds it is replaced
by the course's one guarded Colab install cell (``INSTALL_CELL``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import autograding  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
GRADER = ROOT / "grader"
README = ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- lessons:start -->", "<!-- lessons:end -->"
SLUG = re.compile(r"^\d\d_[a-z0-9_]+$")
MAX_BUDGET_SECONDS = 90
RAISES_EXCEPTION = "raises-exception"


class LessonError(ValueError):
    """A lesson source breaks one of the course's rules; the message says which and where."""


def settings() -> dict:
    """The ``[tool.course]`` table of pyproject.toml: ``repository`` and ``branch``."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        table = tomllib.load(file)["tool"]["course"]
    table["repository"] = table["repository"].rstrip("/")
    return table


def lesson_slugs() -> list[str]:
    """All lessons, in order: the stems of ``solutions/NN_slug.py``."""
    return sorted(path.stem for path in SOLUTIONS.glob("*.py") if SLUG.match(path.stem))


def colab_url(slug: str, config: dict | None = None) -> str:
    config = config or settings()
    github_path = config["repository"].removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github_path}/blob/{config['branch']}/notebooks/{slug}.ipynb"


def colab_badge(slug: str, config: dict | None = None) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(slug, config)})")


def install_spec(config: dict | None = None) -> str:
    config = config or settings()
    return f"transformers-course @ git+{config['repository']}@{config['branch']}"


# The first code cell of every notebook. It installs only what a notebook needs (no JupyterLab, no nbgrader:
# Colab has its own), shows pip's own messages when the install fails, asks for a restart when pip replaced a
# package that was already imported, and prints the versions it got. tests/test_wheel.py runs it.
INSTALL_CELL = '''# On Colab, install the course: its helper package, its models and the libraries the lessons use.
# Anywhere else this cell does nothing (`make lab` has installed everything).
import sys

if "google.colab" in sys.modules:
    import importlib
    import importlib.metadata as metadata
    import subprocess

    def installed():
        return {dist.metadata["Name"].lower(): dist.version for dist in metadata.distributions()}

    before = installed()
    course = "{spec}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", course], capture_output=True, text=True)
    if pip.returncode != 0:
        print(pip.stdout[-3000:], pip.stderr[-3000:], sep="\\n")
        raise RuntimeError("pip could not install the course: its own messages are printed above.")
    importlib.invalidate_caches()
    after = installed()
    print("installed:", ", ".join(f"{name} {after[name]}" for name in ("torch", "transformers", "transformers-course")))
    loaded = {dist.lower() for module, dists in metadata.packages_distributions().items() if module in sys.modules
              for dist in dists}
    replaced = sorted(name for name in loaded if before.get(name) not in (None, after.get(name)))
    if replaced:
        print(f"Restart the session now (Runtime > Restart session), then run the notebook from the top: "
              f"pip replaced {', '.join(replaced)}, which this session had already imported.")'''


def install_cell(config: dict | None = None) -> str:
    """The guarded Colab install cell, for the repository and branch in ``[tool.course]``."""
    return INSTALL_CELL.replace("{spec}", install_spec(config))


def _complete_nbgrader_metadata(cell, slug: str) -> None:
    meta = cell.metadata.get("nbgrader")
    if meta is None:
        return
    grade_id = meta.get("grade_id")
    if not grade_id:
        raise LessonError(f"{slug}: an nbgrader cell has no grade_id:\n{cell.source[:200]}")
    if meta.get("solution") and not meta.get("grade"):
        if "### BEGIN SOLUTION" not in cell.source or "### END SOLUTION" not in cell.source:
            raise LessonError(f"{slug}: answer cell {grade_id} needs ### BEGIN SOLUTION / ### END SOLUTION")
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                     "schema_version": 3, "solution": True, "task": False}
    elif meta.get("grade") and not meta.get("solution"):
        points = meta.get("points")
        if not isinstance(points, (int, float)) or points <= 0:
            raise LessonError(f"{slug}: test cell {grade_id} needs positive points, got {points!r}")
        if cell.source.count("### BEGIN HIDDEN TESTS") != cell.source.count("### END HIDDEN TESTS"):
            raise LessonError(f"{slug}: test cell {grade_id} has unbalanced HIDDEN TESTS markers")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                     "schema_version": 3, "solution": False, "task": False}
    else:
        raise LessonError(f"{slug}: cell {grade_id} must be either an answer cell (solution) or a test cell "
                          "(grade), not both or neither")


def build_solution(twin: Path, config: dict | None = None) -> nbformat.NotebookNode:
    """Turn the text twin ``solutions/NN_slug.py`` into the nbgrader source notebook."""
    config = config or settings()
    slug = twin.stem
    notebook = jupytext.read(twin)
    course_meta = dict(notebook.metadata.get("course") or {})
    for key in ("title", "budget_seconds"):
        if key not in course_meta:
            raise LessonError(f"{slug}: the twin's header needs course.{key}")
    if not 0 < course_meta["budget_seconds"] <= MAX_BUDGET_SECONDS:
        raise LessonError(f"{slug}: budget_seconds must be in (0, {MAX_BUDGET_SECONDS}]")
    notebook.metadata = nbformat.from_dict({
        "course": course_meta,
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    seen_ids: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code" and "{{INSTALL_SPEC}}" in cell.source:
            cell.source = install_cell(config)
        cell.source = cell.source.replace("{{COLAB_BADGE}}", colab_badge(slug, config))
        _complete_nbgrader_metadata(cell, slug)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = grade_id or f"{slug[:2]}-{index:03d}"
        if cell.id in seen_ids:
            raise LessonError(f"{slug}: two cells share the id {cell.id!r}")
        seen_ids.add(cell.id)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return notebook


def nbgrader_env() -> dict:
    """Environment for nbgrader: its ``alembic`` must be on PATH, and nothing is fetched from a hub."""
    return autograding.nbgrader_env()


def generate_student_version(course_root: Path, slug: str, solution: Path) -> nbformat.NotebookNode:
    """Run the real ``nbgrader generate_assignment`` for one lesson in ``course_root``; return the result."""
    source_dir = course_root / "source" / slug
    source_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(solution, source_dir / f"{slug}.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force", "--log-level=WARN"],
        cwd=course_root, env=nbgrader_env(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {slug} failed:\n{result.stdout}\n{result.stderr}")
    release = nbformat.read(course_root / "release" / slug / f"{slug}.ipynb", as_version=4)
    for cell in release.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if cell.metadata.get("nbgrader", {}).get("grade") or cell.metadata.get("nbgrader", {}).get("solution"):
            tag_raises_exception(cell)
    return release


def tag_raises_exception(cell) -> None:
    """Let "Run all" go past an exercise cell that fails: an answer cell still raising its stub's
    NotImplementedError, or a self-check that fails (JupyterLab, Notebook 7 and nbclient honour the tag).
    An unfinished exercise must not hide the demonstrations after it."""
    tags = cell.metadata.setdefault("tags", [])
    if RAISES_EXCEPTION not in tags:
        tags.append(RAISES_EXCEPTION)


def lesson_table(slugs: list[str], config: dict | None = None) -> str:
    """The README's lesson table, built from each lesson's title and the repository URL."""
    config = config or settings()
    rows = ["| # | Lesson | Student notebook | Solution | Colab |", "|---|---|---|---|---|"]
    for slug in slugs:
        title = nbformat.read(SOLUTIONS / f"{slug}.ipynb", as_version=4).metadata["course"]["title"]
        rows.append(f"| {slug[:2]} | {title} | [notebooks/{slug}.ipynb](notebooks/{slug}.ipynb) | "
                    f"[solutions/{slug}.ipynb](solutions/{slug}.ipynb) | {colab_badge(slug, config)} |")
    return "\n".join(rows)


def replace_table(readme_text: str, table: str) -> str:
    if TABLE_START not in readme_text or TABLE_END not in readme_text:
        raise LessonError(f"README.md needs the markers {TABLE_START} and {TABLE_END}")
    head, rest = readme_text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}"


def write_lesson(slug: str, course_root: Path = GRADER, config: dict | None = None) -> None:
    """Build ``solutions/<slug>.ipynb`` from its twin and ``notebooks/<slug>.ipynb`` with nbgrader in ``course_root``."""
    twin = SOLUTIONS / f"{slug}.py"
    if not twin.is_file():
        raise LessonError(f"no lesson source {twin.relative_to(ROOT)}")
    solution_path = SOLUTIONS / f"{slug}.ipynb"
    nbformat.write(build_solution(twin, config), solution_path)
    release = generate_student_version(course_root, slug, solution_path)
    nbformat.write(release, NOTEBOOKS / f"{slug}.ipynb")


def generate(slugs: list[str] | None = None) -> None:
    config = settings()
    for slug in slugs or lesson_slugs():
        write_lesson(slug, GRADER, config)
        print(f"{slug}: solutions/{slug}.ipynb and notebooks/{slug}.ipynb written")
    README.write_text(replace_table(README.read_text(), lesson_table(lesson_slugs(), config)))
    print("README.md lesson table updated")


def submission_problems(path: Path, solution: nbformat.NotebookNode) -> list[str]:
    """What is wrong with one submitted notebook, in words an instructor can forward to the student.

    ``solution`` is the lesson's nbgrader source notebook. ``autograde`` makes the same checks (and more:
    see grader/autograding.py) against the real student version.
    """
    lesson = autograding.Lesson.read(str(solution.metadata.get("course", {}).get("slug", "")), solution, solution)
    return autograding.inspect_submission(Path(path), lesson).problems


def autograde(slug: str, course_root: Path = GRADER, **options) -> int:
    """Grade every submission of one lesson, each alone in a sandbox; print scores and ``PROBLEM`` lines.

    Returns 0 when every submission was graded without problem, 1 when some submission has a problem (each
    listed with its reason) or a check failed, 2 when grading could not start safely (no sandbox).
    See grader/autograding.py for the steps and grader/sandbox.py for the sandbox.
    """
    try:
        return autograding.autograde(slug, course_root, **options)
    except autograding.GradingError as error:
        raise LessonError(str(error)) from None


def _shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise argparse.ArgumentTypeError("a shard is K/N with 1 <= K <= N, e.g. 1/3")
    return int(match.group(1)), int(match.group(2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    generate_parser = commands.add_parser("generate", help="rebuild solutions/, notebooks/ and the README table")
    generate_parser.add_argument("lessons", nargs="*", help="lesson slugs such as 04_attention (default: all)")
    autograde_parser = commands.add_parser(
        "autograde", help="check the submissions of a lesson, grade them with nbgrader, print the scores")
    autograde_parser.add_argument("lesson", help="lesson slug, e.g. 04_attention")
    autograde_parser.add_argument("--course-dir", type=Path, default=GRADER,
                                  help="nbgrader course folder (default: grader/)")
    defaults = autograding.Limits()
    autograde_parser.add_argument("--jobs", "-j", type=int, default=None,
                                  help="submissions graded at once (default: the number of CPU cores)")
    autograde_parser.add_argument("--timeout", type=int, default=defaults.wall_seconds,
                                  help=f"seconds for one whole submission (default: {defaults.wall_seconds})")
    autograde_parser.add_argument("--cell-timeout", type=int, default=defaults.cell_seconds,
                                  help=f"seconds for one cell (default: {defaults.cell_seconds})")
    autograde_parser.add_argument("--memory", type=float, default=defaults.memory / autograding.GIB,
                                  help=f"GiB of memory for one submission (default: {defaults.memory / 2**30:g})")
    autograde_parser.add_argument("--student", action="append", default=None, metavar="ID",
                                  help="grade only this student (repeatable)")
    autograde_parser.add_argument("--shard", type=_shard, default=None, metavar="K/N",
                                  help="grade only shard K of N (students split by a hash of their id): run "
                                       "one shard per machine against one shared --db")
    autograde_parser.add_argument("--db", default=None, metavar="URL",
                                  help="gradebook database URL (default: sqlite:///<course-dir>/gradebook.db; "
                                       "e.g. postgresql://user@host/course to share it between machines)")
    autograde_parser.add_argument("--no-sandbox", action="store_true",
                                  help="UNSAFE: run student code without the sandbox (only where bubblewrap "
                                       "cannot run, for submissions you trust); prints a loud warning")
    args = parser.parse_args(argv)
    try:
        if args.command == "autograde":
            limits = autograding.Limits(memory=int(args.memory * autograding.GIB), wall_seconds=args.timeout,
                                        cell_seconds=args.cell_timeout)
            return autograde(args.lesson, args.course_dir.resolve(), jobs=args.jobs, limits=limits,
                             use_sandbox=not args.no_sandbox, db_url=args.db, students=args.student,
                             shard=args.shard)
        generate(args.lessons)
    except (LessonError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
