"""Grade one lesson's submissions so that an instructor can trust the grades.

``python grader/manage.py autograde <lesson>`` calls :func:`autograde`. For every submitted student:

1. **Inspect** the file (:func:`inspect_submission`): not a notebook, nbformat 3, another lesson, answer cells
   deleted / split / moved / stripped of their nbgrader metadata, test cells deleted or copied, unknown graded
   cells, old metadata... Each finding is a ``PROBLEM`` line, and the notebook that is graded is rebuilt from
   the lesson's own student version: the lesson's cells as distributed, the student's answers in their
   answer cells, and the cells the student added where they added them. So nothing a student does to the
   notebook's structure can stop nbgrader or change which tests run.
2. **Review** the student's code (:func:`review_code`) for what can tamper with grading (IPython internals,
   ``sys``, ``builtins``, patching the library functions the tests use, ``exec``...): reported for a human look.
3. **Grade it alone** (:func:`grade_one`): in a private temporary nbgrader course holding only this lesson's
   source and this one submission, with the real ``nbgrader autograde``, whose kernel runs in the sandbox of
   ``sandbox.py`` and whose cells are run by ``sandbox_execute.py`` (guard restored before each test,
   timeouts, dead kernels, output cap). Several submissions are graded at once (``--jobs``).
4. **Record**: this process alone copies the scores into the course's gradebook, writes the feedback version
   of each graded notebook (hidden tests and tracebacks removed: only each test's result and message), keeps
   the full record for the instructor in ``grading_logs/``, exports ``grades.csv``, and checks that every
   submitted student is in the gradebook and in the export with the score just computed, and that no
   submitted file and no other grade changed during the run.
"""

from __future__ import annotations

import ast
import concurrent.futures
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import sandbox
from sandbox import GIB, MIB, Cgroup, Limits, SandboxInfo

GRADER = Path(__file__).resolve().parent
MAX_NOTEBOOK_BYTES = 50 * MIB
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)
HIDDEN_PLACEHOLDER = "# (hidden tests ran here: their code is not shown; the result and message are below)\n"
REDACTED = "[hidden test code removed]"
SCHEMA_VERSION = 3


def nbgrader_env() -> dict:
    """Environment for nbgrader: its ``alembic`` must be on PATH, and nothing is fetched from a hub."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _is_answer(cell) -> bool:
    return bool(_meta(cell).get("solution")) and not _meta(cell).get("grade")


def _is_test(cell) -> bool:
    return bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def _parse(source: str) -> ast.Module | None:
    """The Python AST of a cell, IPython syntax (magics, ``!`` commands) turned into Python first."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def bound_names(source: str, kinds=(ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                    ast.ClassDef)) -> list[str]:
    """Top-level names a cell binds with statements of the given kinds (imports, def, class by default)."""
    tree = _parse(source)
    names = []
    for node in tree.body if tree else []:
        if not isinstance(node, kinds):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*"]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
        else:
            names.append(node.name)
    return sorted(set(names))


def imported_modules(source: str) -> list[str]:
    tree = _parse(source)
    found = set()
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return sorted(found)


# --- the lesson ---------------------------------------------------------------------------------------------

@dataclass
class Lesson:
    """What grading one lesson needs to know, read from its nbgrader source and student version."""

    slug: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    answers: list[str] = field(default_factory=list)          # answer cells' grade ids, in order
    tests: dict[str, float] = field(default_factory=dict)     # graded cells' grade ids -> points
    answer_names: dict[str, list[str]] = field(default_factory=dict)   # names each reference answer binds
    lesson_names: list[str] = field(default_factory=list)     # names the lesson's own code binds
    modules: list[str] = field(default_factory=list)          # modules the lesson and its tests import
    hidden_lines: list[str] = field(default_factory=list)     # distinctive lines of the hidden tests

    @classmethod
    def read(cls, slug: str, source: nbformat.NotebookNode, release: nbformat.NotebookNode) -> "Lesson":
        lesson = cls(slug, source, release)
        # Distinctive lines only: a hidden line that also occurs in the student version is no secret.
        visible_text = "\n".join(_source(cell) for cell in release.cells)
        lesson_names, modules, hidden = set(), set(), set()
        for cell in source.cells:
            if cell.cell_type != "code":
                continue
            text = _source(cell)
            modules.update(imported_modules(text))
            if _is_answer(cell):
                lesson.answers.append(_meta(cell)["grade_id"])
                solution = re.sub(r"### (BEGIN|END) SOLUTION", "", text)
                lesson.answer_names[_meta(cell)["grade_id"]] = bound_names(
                    solution, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))
            else:
                lesson_names.update(bound_names(text))
            if _is_test(cell):
                lesson.tests[_meta(cell)["grade_id"]] = float(_meta(cell)["points"])
                for block in HIDDEN.findall(text):
                    hidden.update(line.strip() for line in block.splitlines()
                                  if len(line.strip()) >= 16 and line.strip() not in visible_text)
        lesson.lesson_names = sorted(lesson_names)
        lesson.modules = sorted(modules)
        lesson.hidden_lines = sorted(hidden, key=len, reverse=True)
        return lesson


# --- 1. inspecting a submission ---------------------------------------------------------------------------

@dataclass
class Inspection:
    problems: list[str]
    notebook: nbformat.NotebookNode | None      # the notebook to grade, rebuilt; None: nothing to grade


NOT_A_NOTEBOOK = "not a readable notebook ({}); ask for a new upload"
RECREATED = ("no answer cell of this lesson is present with its nbgrader metadata: the notebook was probably "
             "re-created or copied cell by cell, which drops that metadata; ask the student to submit the "
             "course's notebook file itself")


def _load(path: Path) -> tuple[dict | None, list[str]]:
    """The submission as an nbformat-4 dict, or None with the reason."""
    try:
        size = path.stat().st_size
    except OSError as error:
        return None, [NOT_A_NOTEBOOK.format(f"cannot read it: {error.strerror}")]
    if size > MAX_NOTEBOOK_BYTES:
        return None, [f"file too large ({size / MIB:.0f} MiB; the limit is {MAX_NOTEBOOK_BYTES // MIB} MiB): "
                      "clear its outputs and upload it again"]
    raw = path.read_bytes()
    if not raw.strip():
        return None, [NOT_A_NOTEBOOK.format("the file is empty")]
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return None, [NOT_A_NOTEBOOK.format(f"{type(error).__name__}: {str(error)[:120]}")]
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        return None, [NOT_A_NOTEBOOK.format("it is JSON but not a Jupyter notebook")]
    problems = []
    version = data.get("nbformat")
    if version == 3 or "worksheets" in data:
        try:
            data = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception as error:
            return None, [NOT_A_NOTEBOOK.format(f"nbformat 3 that cannot be converted: {str(error)[:120]}")]
        problems.append("saved in nbformat 3 (a very old Jupyter): converted to nbformat 4 and graded; "
                        "cells are matched by their nbgrader metadata")
    elif version != 4:
        return None, [NOT_A_NOTEBOOK.format(f"unknown notebook format {version!r}")]
    if not isinstance(data.get("cells"), list):
        return None, [NOT_A_NOTEBOOK.format("it has no list of cells")]
    cells = []
    for cell in data["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") in ("code", "markdown", "raw"):
            cells.append({"cell_type": cell["cell_type"], "source": _source(cell), "id": cell.get("id"),
                          "metadata": cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}})
    data["cells"] = cells
    return data, problems


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _lesson_of(grade_ids: set[str], slug: str) -> str | None:
    numbers = {match.group(1) for grade_id in grade_ids if (match := re.match(r"ex(\d\d)_", str(grade_id)))}
    numbers.discard(slug[:2])
    return sorted(numbers)[0] if numbers else None


def inspect_submission(path: Path, lesson: Lesson) -> Inspection:
    """Check one submitted file and rebuild the notebook to grade (see the module's docstring)."""
    data, problems = _load(path)
    if data is None:
        return Inspection(problems, None)
    release_cells = lesson.release.cells
    release_ids = {cell.id: index for index, cell in enumerate(release_cells)}
    answer_index = {_meta(cell)["grade_id"]: index for index, cell in enumerate(release_cells) if _is_answer(cell)}
    test_index = {_meta(cell)["grade_id"]: index for index, cell in enumerate(release_cells) if _is_test(cell)}

    lesson_sources: dict[str, list[int]] = {}
    for index, cell in enumerate(release_cells):
        if not _meta(cell) and _source(cell).strip():
            lesson_sources.setdefault(_normal(_source(cell)), []).append(index)
    answers: dict[str, list[tuple[int, dict]]] = {}
    tests_seen: dict[str, list[int]] = {}
    matched: list[tuple[int, int]] = []            # (student position, release index)
    added: list[tuple[int, dict]] = []
    by_id, unknown, old_schema, changed_meta, retyped = [], [], set(), [], []
    for position, cell in enumerate(data["cells"]):
        meta, grade_id = _meta(cell), _meta(cell).get("grade_id")
        if meta and meta.get("schema_version", 1) < SCHEMA_VERSION:
            old_schema.add(meta.get("schema_version", 1))
        if grade_id in answer_index:
            answers.setdefault(grade_id, []).append((position, cell))
            matched.append((position, answer_index[grade_id]))
            if meta.get("grade") or meta.get("points"):
                changed_meta.append(grade_id)
        elif grade_id in test_index:
            tests_seen.setdefault(grade_id, []).append(position)
            matched.append((position, test_index[grade_id]))
            if meta.get("points") not in (None, lesson.tests[grade_id]):
                changed_meta.append(grade_id)
        elif grade_id:
            unknown.append(str(grade_id)[:40])
            added.append((position, cell))
        elif cell.get("id") in answer_index:          # nbgrader metadata stripped, cell id kept
            answers.setdefault(cell["id"], []).append((position, cell))
            matched.append((position, answer_index[cell["id"]]))
            by_id.append(cell["id"])
        elif cell.get("id") in test_index:
            tests_seen.setdefault(cell["id"], []).append(position)
            matched.append((position, test_index[cell["id"]]))
        elif cell.get("id") in release_ids:
            matched.append((position, release_ids[cell["id"]]))
        elif _normal(cell["source"]) in lesson_sources and lesson_sources[_normal(cell["source"])]:
            matched.append((position, lesson_sources[_normal(cell["source"])].pop(0)))   # a lesson cell, id lost
        else:
            added.append((position, cell))

    if not answers:
        other = _lesson_of({_meta(cell).get("grade_id") for cell in data["cells"]} |
                           {cell.get("id") for cell in data["cells"]}, lesson.slug)
        if other:
            return Inspection(problems + [f"wrong lesson: this is the notebook of lesson {other}, not "
                                          f"{lesson.slug}; ask for the right file"], None)
    # Answers whose metadata and id are both gone: found by the names the reference answer defines.
    by_content = []
    for grade_id in lesson.answers:
        names = set(lesson.answer_names.get(grade_id, []))
        if grade_id in answers or not names:
            continue
        for position, cell in list(added):
            if cell["cell_type"] == "code" and names <= set(bound_names(cell["source"], (
                    ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))):
                answers[grade_id] = [(position, cell)]
                matched.append((position, answer_index[grade_id]))
                added.remove((position, cell))
                by_content.append(grade_id)
                break
    if not answers:
        return Inspection(problems + [RECREATED], None)
    if by_content:
        problems.append(f"{RECREATED.split(':')[0]} for {', '.join(by_content)}: those answers were found by "
                        "the names they define and graded; check them by hand")
    if by_id:
        problems.append(f"nbgrader metadata stripped from answer cells {', '.join(by_id)}: matched by cell id "
                        "and graded")
    if old_schema:
        problems.append(f"old nbgrader metadata (schema version {min(old_schema)}): graded with the lesson's "
                        "current metadata")
    if changed_meta:
        problems.append(f"nbgrader metadata of cells {', '.join(sorted(set(changed_meta)))} was changed "
                        "(points or graded flag): ignored, the lesson's own metadata was used")
    if unknown:
        problems.append(f"unknown graded cells {', '.join(unknown)}: not graded (run as ordinary cells)")
    split = [grade_id for grade_id, cells in answers.items() if len(cells) > 1]
    if split:
        problems.append(f"answer cells split in two or more: {', '.join(split)}: the parts were joined in "
                        "order and graded")
    missing = [grade_id for grade_id in lesson.answers if grade_id not in answers]
    if missing:
        problems.append(f"answer cells deleted: {', '.join(missing)} (they score 0)")
    deleted_tests = [grade_id for grade_id in lesson.tests if grade_id not in tests_seen]
    if deleted_tests:
        problems.append(f"test cells deleted: {', '.join(deleted_tests)}: the lesson's copies were put back "
                        "and graded")
    copied_tests = [grade_id for grade_id, positions in tests_seen.items() if len(positions) > 1]
    if copied_tests:
        problems.append(f"test cells copied: {', '.join(copied_tests)}: only the lesson's own copy was run")
    for grade_id, cells in answers.items():
        if any(cell["cell_type"] != "code" for _, cell in cells) and \
                release_cells[answer_index[grade_id]].cell_type == "code":
            retyped.append(grade_id)
    if retyped:
        problems.append(f"answer cells turned into text cells: {', '.join(retyped)}: graded as code")
    moved = []
    for grade_id, cells in answers.items():
        own_test = min((index for index in test_index.values() if index > answer_index[grade_id]), default=None)
        test_name = next((name for name, index in test_index.items() if index == own_test), None)
        if test_name in tests_seen and cells[0][0] > tests_seen[test_name][0]:
            moved.append(grade_id)
    first_copies = {positions[0] for positions in tests_seen.values()}
    copies = {position for positions in tests_seen.values() for position in positions} - first_copies
    order = [index for position, index in sorted(matched) if position not in copies]
    if moved:
        problems.append(f"answer cells moved below their tests: {', '.join(sorted(moved))}: graded in the "
                        "lesson's order")
    elif order != sorted(order):
        problems.append("cells were reordered: graded in the lesson's order")

    # Where each added cell goes: after the lesson cell it followed in the submission.
    anchors = sorted(matched)
    after: dict[int, list[dict]] = {}
    for position, cell in added:
        before = [index for pos, index in anchors if pos < position]
        after.setdefault(before[-1] if before else -1, []).append(cell)
    notebook = copy.deepcopy(lesson.release)
    cells = []

    def add_student_cells(anchor: int) -> None:
        for number, cell in enumerate(after.get(anchor, [])):
            if cell["cell_type"] != "code":
                continue
            new = nbformat.v4.new_code_cell(cell["source"])
            new.id = f"added-{anchor + 1:03d}-{number}"
            new.metadata["course_grader"] = {"role": "added"}
            cells.append(new)

    add_student_cells(-1)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("course_grader", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            grade_id = _meta(cell).get("grade_id")
            if _is_answer(cell):
                if grade_id in answers:
                    cell.source = "\n".join(student["source"] for _, student in answers[grade_id])
                cell.metadata["course_grader"] = {"role": "answer"}
            elif _is_test(cell):
                cell.metadata["course_grader"] = {"role": "test"}
            else:
                cell.metadata["course_grader"] = {"role": "lesson", "binds": bound_names(cell.source)}
        cells.append(cell)
        add_student_cells(index)
    notebook.cells = cells
    return Inspection(problems, notebook)


# --- 2. reviewing the student's code ---------------------------------------------------------------------

SUSPICIOUS_MODULES = {"sys", "os", "builtins", "gc", "ctypes", "inspect", "importlib", "IPython", "ipykernel",
                      "jupyter_client", "zmq", "subprocess", "signal", "threading", "_thread", "multiprocessing",
                      "socket", "resource", "pty", "shutil", "atexit", "types", "unittest", "pytest",
                      "nbgrader", "_course_guard", "guard", "sandbox_kernel", "traceback", "linecache", "code",
                      "codeop", "marshal", "pickle", "dill", "faulthandler", "asyncio", "concurrent", "mmap",
                      "copyreg", "weakref", "site", "runpy", "pkgutil", "sqlite3"}
SUSPICIOUS_NAMES = {"get_ipython", "__builtins__", "__import__", "exec", "eval", "compile", "globals", "locals",
                    "vars", "setattr", "delattr", "breakpoint", "exit", "quit", "open", "__loader__", "__spec__",
                    "In", "Out", "_ih", "_oh", "_dh"}
SUSPICIOUS_ATTRIBUTES = {"__code__", "__defaults__", "__kwdefaults__", "__closure__", "__globals__",
                         "__builtins__", "__dict__", "__subclasses__", "__bases__", "__mro__", "__class__",
                         "__getattribute__", "__setattr__", "__delattr__", "__import__", "__loader__", "__spec__",
                         "__self__", "__func__", "__wrapped__", "__torch_function__", "__torch_dispatch__",
                         "__reduce__", "__reduce_ex__", "f_back", "f_globals", "f_locals", "f_code", "tb_frame",
                         "gi_frame", "cr_frame", "co_consts", "_getframe"}


def review_code(source: str, protected: set[str]) -> list[str]:
    """What in one cell of student code can tamper with grading, as ``line N: what`` strings."""
    tree = _parse(source)
    if tree is None:
        return []
    import builtins

    builtin_names = {name for name in dir(builtins) if not name.startswith("_")}
    modules = set(protected)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    found = []

    def note(node, what: str) -> None:
        found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    def root(node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.value if not isinstance(node, ast.Call) else node.func
        return node.id if isinstance(node, ast.Name) else None

    def dotted(node) -> str:
        try:
            return ast.unparse(node)[:60]
        except Exception:
            return "?"

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SUSPICIOUS_MODULES:
                    note(node, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in SUSPICIOUS_MODULES or node.level:
                note(node, f"imports from {node.module}")
        elif isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES:
            note(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRIBUTES:
            note(node, f"uses .{node.attr}")
        elif isinstance(node, ast.ClassDef):
            bases = " ".join(dotted(base) for base in node.bases)
            if "Tensor" in bases or "ndarray" in bases:
                note(node, f"defines a subclass of {bases} (it could answer the tests' comparisons itself)")
        elif isinstance(node, ast.Global):
            for name in node.names:
                if name in protected or name in builtin_names:
                    note(node, f"rebinds {name} from inside a function")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and root(part) in modules | builtin_names:
                        note(node, f"assigns to {dotted(part)}")
                        break
    def plain_names(target) -> list[str]:
        if isinstance(target, ast.Name):
            return [target.id]
        if isinstance(target, (ast.Tuple, ast.List)):
            return [name for element in target.elts for name in plain_names(element)]
        if isinstance(target, ast.Starred):
            return plain_names(target.value)
        return []

    for node in tree.body:
        names = []
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [name for target in targets for name in plain_names(target)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
            names = [name for name in names if name not in protected]  # re-importing torch is fine
        for name in names:
            if name in protected:
                note(node, f"redefines {name}, which the lesson's code defines")
            elif name in builtin_names:
                note(node, f"shadows the built-in {name}")
    return sorted(set(found), key=lambda item: (int(item.split(":")[0][5:]) if item[5:].split(":")[0].isdigit()
                                                else 0, item))


def review_notebook(notebook: nbformat.NotebookNode, lesson: Lesson) -> list[str]:
    protected = set(lesson.lesson_names)
    findings = []
    for cell in notebook.cells:
        role = cell.metadata.get("course_grader", {}).get("role")
        if cell.cell_type == "code" and role in ("answer", "added"):
            notes = review_code(cell.source, protected)
            if notes:
                where = f"answer {_meta(cell)['grade_id']}" if role == "answer" else "a cell the student added"
                findings.append(f"{where}: {'; '.join(notes[:6])}{' ...' if len(notes) > 6 else ''}")
    if not findings:
        return []
    return [f"code that can tamper with grading, in {' | '.join(findings)} -- the tests ran with the lesson's "
            "own functions restored; review this submission by hand"]


# --- 3. grading one submission -----------------------------------------------------------------------------

@dataclass
class Job:
    slug: str
    student: str
    notebook: str                 # JSON of the notebook to grade
    original: str | None          # the submitted file, shown read-only in the sandbox's home folder
    template: str                 # the private course holding this lesson's source, release and gradebook
    work: str
    limits: Limits
    info: SandboxInfo
    modules: list[str]
    tests: dict[str, float]
    hidden_lines: list[str]


@dataclass
class Result:
    student: str
    scores: dict[str, float]                        # grade id -> score (0 where not graded)
    graded: bool                                    # nbgrader produced scores for this submission
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    feedback: str | None = None                     # JSON of the notebook for autograded/ (sanitized)
    executed: str | None = None                     # JSON of the executed notebook (instructor only)
    logs: dict[str, str] = field(default_factory=dict)
    leftover: int = 0
    comments: dict[str, str | None] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def _tail(path: Path, limit: int = 20000) -> str:
    try:
        with open(path, "rb") as file:
            file.seek(max(0, path.stat().st_size - limit))
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""


def job_config(base: str, job: Job, course: Path, run_dir: Path) -> str:
    limits = job.limits
    return base + f"""

# --- added by grader/autograding.py: this folder grades one submission in the sandbox ---
import sys as _sys
_sys.path.insert(0, {str(GRADER)!r})
from sandbox_execute import SandboxExecute as _SandboxExecute
from nbconvert.preprocessors import ClearMetadataPreprocessor as _ClearMetadata
from nbgrader.preprocessors import (IgnorePattern as _IgnorePattern, LimitOutput as _LimitOutput,
    SaveAutoGrades as _SaveAutoGrades, AssignLatePenalties as _AssignLatePenalties,
    CheckCellMetadata as _CheckCellMetadata)
c.CourseDirectory.root = {str(course)!r}
c.CourseDirectory.db_url = {f"sqlite:///{course / 'gradebook.db'}"!r}
c.Autograde.autograde_preprocessors = [_SandboxExecute, _IgnorePattern, _ClearMetadata, _LimitOutput,
                                       _SaveAutoGrades, _AssignLatePenalties, _CheckCellMetadata]
c.SandboxExecute.kernel_name = "course-sandbox"
c.SandboxExecute.timeout = {limits.cell_seconds}
c.SandboxExecute.interrupt_on_timeout = True
c.SandboxExecute.startup_timeout = 120
c.SandboxExecute.extra_arguments = []
c.SandboxExecute.output_limit = {limits.output_bytes}
c.SandboxExecute.guard_modules = {job.modules!r}
c.SandboxExecute.ipc_path = {str(run_dir / "kernel")!r}
c.SandboxExecute.sandboxed = {bool(job.info.available)!r}
"""


def _kill_launcher(pid_file: Path) -> int:
    """Kill bubblewrap if it outlived the grading (its PID namespace then ends every process inside)."""
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return 0
    if str(pid_file.parent).encode() not in cmdline:   # not ours (the number was reused)
        return 0
    try:
        os.kill(pid, signal.SIGKILL)
        return 1
    except ProcessLookupError:
        return 0


def grade_one(job: Job) -> Result:
    """Grade one submission in a private course with the sandboxed kernel. Never raises: whatever goes wrong
    is that student's ``PROBLEM`` (and a score of 0), and the rest of the class is graded."""
    try:
        return _grade_one(job)
    except Exception as error:  # noqa: BLE001 - an error of the grader itself, reported for this student only
        import traceback

        return Result(job.student, {name: 0.0 for name in job.tests}, False,
                      [f"NOT GRADED: the grader failed on this submission ({type(error).__name__}: "
                       f"{str(error)[:300]}); scores 0 -- please report it"],
                      feedback=job.notebook, logs={"grader-error.txt": traceback.format_exc()})


def _grade_one(job: Job) -> Result:
    start = time.monotonic()
    limits = job.limits
    job_dir = Path(tempfile.mkdtemp(prefix=f"{job.student[:40]}-", dir=job.work))
    course = job_dir / "course"
    shutil.copytree(job.template, course)
    run_dir, home = job_dir / "run", job_dir / "home"
    run_dir.mkdir(mode=0o700)
    home.mkdir(mode=0o700)
    base_config = (course / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(job_config(base_config, job, course, run_dir))
    submitted = course / "submitted" / job.student / job.slug
    submitted.mkdir(parents=True)
    (submitted / f"{job.slug}.ipynb").write_text(job.notebook)
    original = None
    if job.original:
        original = str(home / f"{job.slug}.ipynb")
        shutil.copyfile(job.original, original)
    kernel_dir = job_dir / "jupyter" / "kernels" / "course-sandbox"
    kernel_dir.mkdir(parents=True)
    (job_dir / "jupyter-config").mkdir()
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(GRADER / "sandbox.py"), "launch", str(job_dir / "sandbox.json"),
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (grader's sandbox)", "language": "python", "interrupt_mode": "message"}))
    group = Cgroup(job.info, f"{job.slug}-{re.sub(r'[^A-Za-z0-9_.-]', '_', job.student)[:40]}-{os.getpid()}-"
                             f"{time.monotonic_ns()}", limits) if job.info.available and job.info.cgroup else None
    sandbox.write_job(job_dir / "sandbox.json", info=job.info, limits=limits, runtime_dir=str(run_dir),
                      cgroup=group.to_json() if group else [],
                      notebook=(original, f"{job.slug}.ipynb") if original else None,
                      log=str(job_dir / "kernel.log"), home=str(home))
    env = nbgrader_env()
    env.update(JUPYTER_PATH=str(job_dir / "jupyter"), JUPYTER_RUNTIME_DIR=str(run_dir),
               JUPYTER_CONFIG_DIR=str(job_dir / "jupyter-config"), JUPYTER_DATA_DIR=str(job_dir / "jupyter"),
               COURSE_GRADER_EVENTS=str(job_dir / "events.jsonl"), COURSE_GRADER_JOB=str(job_dir))
    for name in ("JUPYTER_PREFER_ENV_PATH", "PYTHONPATH", "IPYTHONDIR"):
        env.pop(name, None)
    log_path = job_dir / "nbgrader.log"
    wall_timeout = False
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nbgrader", "autograde", job.slug, f"--student={job.student}", "--force",
             "--log-level=INFO"], cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            wall_timeout = True
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    leftover = _kill_launcher(job_dir / "sandbox.json.pid")
    memory_hit = bool(group and group.memory_limit_hit())
    if group:
        leftover = max(leftover, len(group.kill_and_remove()))
    events = []
    for line in _tail(job_dir / "events.jsonl", 2_000_000).splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass

    scores: dict[str, float] = {grade_id: 0.0 for grade_id in job.tests}
    graded, comments = False, {}
    if not wall_timeout:
        from nbgrader.api import Gradebook, MissingEntry

        try:
            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
                notebook = gradebook.find_submission_notebook(job.slug, job.slug, job.student)
                found = {grade.name: grade.auto_score for grade in notebook.grades}
                comments = {comment.name: comment.auto_comment for comment in notebook.comments}
                graded = set(found) == set(job.tests) and all(score is not None for score in found.values())
                if graded:
                    scores = {name: float(score) for name, score in found.items()}
        except MissingEntry:
            pass
    executed_path = course / "autograded" / job.student / job.slug / f"{job.slug}.ipynb"
    executed = nbformat.read(executed_path, as_version=4) if graded and executed_path.is_file() else None
    problems = describe_events(events, executed, job, memory_hit=memory_hit, wall_timeout=wall_timeout)
    if leftover:
        problems.append(f"{leftover} of its processes were still running when grading ended: killed")
    if not graded and not wall_timeout:
        reason = [line for line in _tail(log_path).splitlines() if "[ERROR]" in line or "Error" in line]
        problems.append("NOT GRADED: nbgrader could not grade it (scores 0): " +
                        (reason[-1].strip()[:300] if reason else "see grading_logs/"))
    if executed is not None and leaked(executed, job.hidden_lines):
        problems.append("its output contains lines of the hidden tests (removed from its feedback): the "
                        "submission copies test code; review by hand")
    feedback = sanitize_for_feedback(executed or nbformat.reads(job.notebook, as_version=4), job.hidden_lines)
    result = Result(job.student, scores, graded, problems, time.monotonic() - start,
                    feedback=nbformat.writes(feedback),
                    executed=nbformat.writes(executed) if executed is not None else None,
                    logs={"nbgrader.log": _tail(log_path), "kernel.log": _tail(job_dir / "kernel.log"),
                          "events.jsonl": "\n".join(json.dumps(event) for event in events)},
                    leftover=leftover, comments=comments)
    if not os.environ.get("COURSE_GRADER_KEEP"):
        shutil.rmtree(job_dir, ignore_errors=True)
    return result


def _cell_name(event: dict, notebook=None) -> str:
    name = event.get("id") or f"#{event.get('index')}"
    role = event.get("role")
    if str(name).startswith("added-"):
        return "a cell the student added"
    return f"cell {name}" + (" (an answer)" if role == "answer" else "")


def describe_events(events: list[dict], executed, job: Job, *, memory_hit: bool, wall_timeout: bool) -> list[str]:
    limits = job.limits
    problems = []
    memory = f"{limits.memory / GIB:g} GiB"
    for event in events:
        kind = event.get("event")
        if kind == "timeout":
            problems.append(f"timeout in {_cell_name(event)}: it ran longer than {limits.cell_seconds} s and "
                            "was interrupted")
        elif kind == "kernel_died":
            cause = (f"the memory limit ({memory}) was reached" if memory_hit else
                     "the submission ended its own process (os._exit), crashed, or was killed")
            problems.append(f"kernel died in {_cell_name(event)}: {cause}; the cells after it were not run "
                            "(their tests score 0)")
        elif kind == "processes_left":
            problems.append(f"{event.get('count')} processes it started were still running when its notebook "
                            "ended: all were killed with its sandbox")
        elif kind == "unresponsive":
            problems.append(f"{_cell_name(event)} ignored the interrupt after its timeout: the kernel was "
                            "stopped and the cells after it were not run (their tests score 0)")
        elif kind == "integrity":
            problems.append(f"test {event.get('id')} was not run (scores 0): {event.get('detail')}; the "
                            "submission tampers with the kernel -- review by hand")
        elif kind == "output_too_large":
            problems.append(f"output too large: more than {limits.output_bytes // MIB} MiB, from "
                            f"{_cell_name(event)} on; the rest was dropped")
        elif kind == "guard_error":
            problems.append(f"the grader's guard could not record the lesson's state ({event.get('detail')}): "
                            "tests ran without it -- a bug of the grader, please report it")
        elif kind == "displayed_value":
            problems.append(f"test {event.get('id')} displayed a value, which nbgrader would read as a score: "
                            "ignored (fake score output)")
    if wall_timeout:
        started = [event for event in events if event.get("event") == "cell_start"]
        where = f" (it was running {_cell_name(started[-1])})" if started else ""
        problems.append(f"timeout: grading did not finish within {limits.wall_seconds} s{where}: NOT GRADED, "
                        "scores 0")
    if executed is not None:
        memory_errors = []
        for cell in executed.cells:
            for output in cell.get("outputs", []):
                text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
                if output.get("output_type") == "error" and (
                        "MemoryError" in text or "can't allocate memory" in text or
                        "DefaultCPUAllocator" in text or "Cannot allocate memory" in text):
                    memory_errors.append(cell.get("id") or "?")
        if memory_errors:
            problems.append(f"memory limit ({memory}) reached in cells {', '.join(sorted(set(memory_errors)))}")
    return problems


# --- feedback --------------------------------------------------------------------------------------------

def _redact(text: str, hidden_lines: list[str]) -> str:
    for line in hidden_lines:
        if line in text:
            text = text.replace(line, REDACTED)
    return text


def leaked(notebook, hidden_lines: list[str]) -> bool:
    """Whether what code can print (streams, displays, error messages; not IPython's tracebacks, which quote
    the failing test's lines and are never shown to students) holds a line of the hidden tests."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            shown = {key: value for key, value in output.items() if key != "traceback"}
            blob = json.dumps(shown)
            if any(line in blob or json.dumps(line)[1:-1] in blob for line in hidden_lines):
                return True
    return False


def sanitize_for_feedback(notebook, hidden_lines: list[str]):
    """The notebook students see: no hidden test code, tracebacks reduced to their message."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        cell.metadata.pop("course_grader", None)
        if cell.cell_type != "code":
            continue
        if "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = HIDDEN.sub(HIDDEN_PLACEHOLDER, cell.source)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.evalue = _redact(str(output.evalue), hidden_lines)
                output.traceback = [f"{output.ename}: {output.evalue}"]
            elif output.output_type == "stream":
                output.text = _redact(output.text, hidden_lines)
            elif "data" in output:
                for kind in list(output.data):
                    if kind.startswith("text/") or kind.endswith("json") or kind.endswith("javascript"):
                        value = output.data[kind]
                        output.data[kind] = _redact(value if isinstance(value, str) else json.dumps(value),
                                                    hidden_lines)
    return notebook


# --- 4. discovering, recording, exporting, checking ----------------------------------------------------------

def find_submissions(course_root: Path, slug: str) -> dict[str, tuple[Path | None, list[str]]]:
    """``{student: (file to grade or None, problems)}`` for every ``submitted/<student>/<slug>/`` folder."""
    found = {}
    for folder in sorted((course_root / "submitted").glob(f"*/{slug}")):
        if not folder.is_dir():
            continue
        student = folder.parent.name
        expected = folder / f"{slug}.ipynb"
        if expected.is_file():
            found[student] = (expected, [])
            continue
        others = sorted((path for path in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts),
                        key=lambda path: (-path.stat().st_mtime, str(path)))
        if others:
            chosen = others[0]
            note = (f"renamed file: {str(chosen.relative_to(folder))!r} instead of {slug}.ipynb; graded it"
                    + (f" (the newest of {len(others)} notebooks)" if len(others) > 1 else ""))
            found[student] = (chosen, [note])
        else:
            found[student] = (None, [f"no notebook in submitted/{student}/{slug}/ (scores 0)"])
    return found


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    if not shard:
        return True
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index - 1


def read_lesson(course_root: Path, slug: str) -> Lesson | None:
    """The lesson as the course folder holds it (source/ and release/), or None without a release."""
    release = course_root / "release" / slug / f"{slug}.ipynb"
    if not release.is_file():
        return None
    return Lesson.read(slug, nbformat.read(course_root / "source" / slug / f"{slug}.ipynb", as_version=4),
                       nbformat.read(release, as_version=4))


def make_template(course_root: Path, slug: str, work: Path) -> tuple[Path, Lesson]:
    """A private course with only this lesson's source, its release and a gradebook that knows it."""
    template = work / "template"
    (template / "source").mkdir(parents=True)
    shutil.copytree(course_root / "source" / slug, template / "source" / slug,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copyfile(course_root / "nbgrader_config.py", template / "nbgrader_config.py")
    config = (template / "nbgrader_config.py").read_text()
    (template / "nbgrader_config.py").write_text(config + f"\nc.CourseDirectory.root = {str(template)!r}\n"
                                                 f"c.CourseDirectory.db_url = "
                                                 f"{'sqlite:///' + str(template / 'gradebook.db')!r}\n")
    env = nbgrader_env()
    env["JUPYTER_CONFIG_DIR"] = str(work / "jupyter-config")
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force",
                             "--log-level=WARN"], cwd=template, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {slug} failed:\n{result.stdout}\n{result.stderr}")
    source = nbformat.read(template / "source" / slug / f"{slug}.ipynb", as_version=4)
    release = nbformat.read(template / "release" / slug / f"{slug}.ipynb", as_version=4)
    return template, Lesson.read(slug, source, release)


def _retry(action, attempts: int = 60):
    """Run a gradebook transaction, retrying while another grader holds the database (SQLite) locked."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as error:
            if attempt == attempts - 1 or not any(word in str(error).lower() for word in ("locked", "busy")):
                raise
            time.sleep(0.1 + 0.05 * attempt)


def _timestamp(course_root: Path, student: str, slug: str):
    from nbgrader.utils import parse_utc

    path = course_root / "submitted" / student / slug / "timestamp.txt"
    try:
        return parse_utc(path.read_text().strip()) if path.is_file() and path.read_text().strip() else None
    except ValueError:
        return None


def record(db_url: str, course_root: Path, slug: str, result: Result) -> None:
    """Write one student's scores into the course's gradebook (only this process writes there)."""
    from nbgrader.api import Gradebook

    def transaction() -> None:
        with warnings.catch_warnings(), Gradebook(db_url) as gradebook:
            warnings.simplefilter("ignore")   # SQLAlchemy's autoflush notes from nbgrader's own API
            gradebook.update_or_create_student(result.student)
            timestamp = _timestamp(course_root, result.student, slug)
            if timestamp:
                gradebook.update_or_create_submission(slug, result.student, timestamp=timestamp)
            else:
                gradebook.update_or_create_submission(slug, result.student)
            notebook = gradebook.find_submission_notebook(slug, slug, result.student)
            for grade in notebook.grades:
                grade.auto_score = result.scores.get(grade.name, 0.0)
                grade.needs_manual_grade = grade.manual_score is not None
            for comment in notebook.comments:
                comment.auto_comment = result.comments.get(comment.name)
            gradebook.db.commit()

    _retry(transaction)


def read_scores(db_url: str, slug: str) -> dict[tuple[str, str], float]:
    """``{(assignment, student): score}`` for every submission in the gradebook."""
    from nbgrader.api import Gradebook

    def read() -> dict:
        with Gradebook(db_url) as gradebook:
            return {(assignment.name, submission.student.id): submission.score
                    for assignment in gradebook.assignments for submission in assignment.submissions}

    return _retry(read)


def file_hashes(course_root: Path, slug: str) -> dict[str, str]:
    hashes = {}
    for path in sorted((course_root / "submitted").glob(f"*/{slug}/**/*")):
        if path.is_file():
            hashes[str(path.relative_to(course_root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def write_outputs(course_root: Path, slug: str, result: Result, extra_problems: list[str]) -> None:
    """The feedback version of the graded notebook in autograded/, the full record in grading_logs/."""
    folder = course_root / "autograded" / result.student / slug
    staging = course_root / "autograded" / result.student / f".{slug}.{os.getpid()}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / f"{slug}.ipynb").write_text(result.feedback or "")
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    logs = course_root / "grading_logs" / slug / result.student
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    if result.executed:
        (logs / "executed.ipynb").write_text(result.executed)
    for name, text in result.logs.items():
        (logs / name).write_text(text)
    (logs / "result.json").write_text(json.dumps({
        "student": result.student, "scores": result.scores, "graded": result.graded,
        "seconds": round(result.seconds, 1), "problems": extra_problems + result.problems}, indent=1))


def export(course_root: Path, db_url: str) -> Path:
    """nbgrader's CSV export of the whole gradebook to ``grades.csv`` (written aside, then moved into place,
    so that concurrent graders never leave a half-written file)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    target = course_root / f".grades-{os.getpid()}.csv"
    plugin = CsvExportPlugin()
    plugin.to = str(target)

    def write() -> None:
        with warnings.catch_warnings(), Gradebook(db_url) as gradebook:
            warnings.simplefilter("ignore")
            plugin.export(gradebook)

    _retry(write)
    final = course_root / "grades.csv"
    os.replace(target, final)
    return final


# --- the command --------------------------------------------------------------------------------------------

WARNING_BANNER = """
##############################################################################################
##  WARNING: GRADING WITHOUT A SANDBOX (--no-sandbox).
##  Student code runs with YOUR rights: it can read the hidden tests in source/, change the
##  gradebook, other students' files and your own files, and reach the network. Each submission
##  is still graded alone, with time, memory and output limits, and every check still runs, but
##  none of the sandbox's guarantees hold. Install bubblewrap and grade again for trusted grades.
##############################################################################################
"""


def autograde(slug: str, course_root: Path, *, jobs: int | None = None, limits: Limits | None = None,
              use_sandbox: bool = True, db_url: str | None = None, students: list[str] | None = None,
              shard: tuple[int, int] | None = None, out=None) -> int:
    """Grade every submission of one lesson (see the module's docstring). Returns the exit status:
    0 all graded without problem, 1 some submission has a problem (listed), 2 grading could not start."""
    from nbgrader.api import Gradebook, MissingEntry

    out = out or sys.stdout
    limits = limits or Limits()

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    info = sandbox.probe() if use_sandbox else SandboxInfo(False, "disabled with --no-sandbox")
    if use_sandbox and not info.available:
        say(f"error: cannot grade safely: {info.reason}.\n"
            "Every submission runs in a sandbox so that student code cannot read the hidden tests or change "
            "grades. Install bubblewrap (see README.md, 'Instructor's workflow'), or, only for submissions you "
            "trust, grade without it: --no-sandbox")
        return 2
    if not use_sandbox:
        say(WARNING_BANNER)
    say(f"sandbox: {info.describe()}")
    source = course_root / "source" / slug / f"{slug}.ipynb"
    if not source.is_file():
        raise sandbox_error(f"{source} does not exist: run `python grader/manage.py generate {slug}` first")
    db_url = db_url or f"sqlite:///{course_root / 'gradebook.db'}"
    with Gradebook(db_url) as gradebook:
        try:
            assignment = gradebook.find_assignment(slug)
            known_tests = {cell.name: cell.max_score for notebook in assignment.notebooks
                           for cell in notebook.grade_cells}
        except MissingEntry:
            raise sandbox_error(f"{slug} is not in the gradebook: run `python grader/manage.py generate {slug}` "
                                "first") from None
    submissions = find_submissions(course_root, slug)
    chosen = {student: item for student, item in submissions.items()
              if (not students or student in students) and in_shard(student, shard)}
    if not submissions:
        raise sandbox_error(f"no submissions found in {course_root / 'submitted'}/<student>/{slug}/{slug}.ipynb")
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    work = Path(tempfile.mkdtemp(prefix=f"course-autograde-{slug}-"))
    os.chmod(work, 0o700)
    try:
        template, lesson = None, read_lesson(course_root, slug)
        if lesson is None:
            template, lesson = make_template(course_root, slug, work)
        if {name: float(points) for name, points in known_tests.items()} != lesson.tests:
            raise sandbox_error(f"the gradebook's graded cells of {slug} differ from source/{slug}: run "
                                f"`python grader/manage.py generate {slug}` first")
        hashes_before = file_hashes(course_root, slug)
        scores_before = read_scores(db_url, slug)
        say(f"grading {len(chosen)} submission(s) of {slug}"
            + (f" (shard {shard[0]}/{shard[1]} of {len(submissions)})" if shard else "")
            + f" with {jobs} parallel job(s); limits: {limits.memory / GIB:g} GiB memory, "
              f"{limits.processes} processes, {limits.cell_seconds} s per cell, {limits.wall_seconds} s per "
              f"submission, {limits.output_bytes // MIB} MiB of output")
        problems: dict[str, list[str]] = {}
        results: dict[str, Result] = {}
        pending: list[Job] = []
        for student, (path, found) in chosen.items():
            problems[student] = list(found)
            inspection = inspect_submission(path, lesson) if path else Inspection([], None)
            problems[student] += inspection.problems
            if inspection.notebook is None:
                results[student] = Result(student, {name: 0.0 for name in lesson.tests}, False,
                                          feedback=nbformat.writes(sanitize_for_feedback(lesson.release, [])))
                continue
            problems[student] += review_notebook(inspection.notebook, lesson)
            if template is None:   # made once, only when some notebook has to run
                template, built = make_template(course_root, slug, work)
                if [cell.source for cell in built.release.cells] != [cell.source for cell in lesson.release.cells]:
                    raise sandbox_error(f"release/{slug} is out of date with source/{slug}: run "
                                        f"`python grader/manage.py generate {slug}` first")
                lesson = built
            pending.append(Job(slug, student, nbformat.writes(inspection.notebook), str(path), str(template),
                               str(work), limits, info, lesson.modules, lesson.tests, lesson.hidden_lines))
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(grade_one, pending):
                results[result.student] = result
        elapsed = time.monotonic() - started
        for student in sorted(results):
            record(db_url, course_root, slug, results[student])
            write_outputs(course_root, slug, results[student], problems[student])
    finally:
        if not os.environ.get("COURSE_GRADER_KEEP"):   # set it to inspect the private courses after a run
            shutil.rmtree(work, ignore_errors=True)

    maximum = sum(lesson.tests.values())
    say(f"\n{'student':24s} {'score':>13s}  seconds")
    for student in sorted(results):
        result = results[student]
        problems[student] += result.problems
        status = "" if result.graded else "  (not graded)"
        say(f"{student:24s} {result.total:5.1f} / {maximum:4.1f}  {result.seconds:7.1f}{status}")
    if pending:
        say(f"{len(pending)} notebook(s) run in {elapsed:.1f} s: {elapsed / len(pending):.1f} s per submission "
            f"with {jobs} job(s)")
    failures = verify(course_root, slug, db_url, results, hashes_before, scores_before, shard or students)
    flagged = {student: items for student, items in problems.items() if items}
    say()
    for student in sorted(flagged):
        for item in flagged[student]:
            say(f"PROBLEM {student}: {item}")
    for failure in failures:
        say(f"CHECK FAILED: {failure}")
    if not failures:
        say(f"checked: all {len(results)} graded student(s) are in the gradebook and in grades.csv with these "
            "scores; no submitted file and no other grade changed during the run")
    if not use_sandbox:
        say(WARNING_BANNER)
    return 1 if flagged or failures else 0


def verify(course_root: Path, slug: str, db_url: str, results: dict[str, Result], hashes_before: dict,
           scores_before: dict, partial) -> list[str]:
    failures = []
    if file_hashes(course_root, slug) != hashes_before:
        changed = {name for name in set(hashes_before) | set(file_hashes(course_root, slug))
                   if hashes_before.get(name) != file_hashes(course_root, slug).get(name)}
        failures.append(f"submitted files changed during the run: {', '.join(sorted(changed))[:500]}")
    scores_after = read_scores(db_url, slug)
    for (assignment, student), score in scores_before.items():
        if assignment == slug and (student in results or partial):
            continue
        if abs(scores_after.get((assignment, student), -1.0) - score) > 1e-9:
            failures.append(f"the grade of {student} for {assignment} changed during the run")
    for student, result in results.items():
        recorded = scores_after.get((slug, student))
        if recorded is None or abs(recorded - result.total) > 1e-6:
            failures.append(f"{student} is not in the gradebook with the score just computed "
                            f"({recorded} instead of {result.total})")
    try:
        exported = export(course_root, db_url)
    except Exception as error:  # noqa: BLE001 - reported as a failed check, with its message
        failures.append(f"nbgrader export failed: {type(error).__name__}: {error}")
        return failures
    with open(exported) as file:
        rows = {(row["assignment"], row["student_id"]): row for row in csv.DictReader(file)}
    for student, result in results.items():
        row = rows.get((slug, student))
        if row is None:
            failures.append(f"{student} is missing from grades.csv")
        elif abs(float(row["raw_score"]) - result.total) > 1e-6:
            failures.append(f"{student}'s score in grades.csv is {row['raw_score']}, not {result.total}")
    return failures


class GradingError(RuntimeError):
    """Grading cannot start (the message says why and what to run)."""


def sandbox_error(message: str) -> GradingError:
    return GradingError(message)
