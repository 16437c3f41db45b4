"""The grader's sandbox and its checks, each on its own and fast: what a submission can and cannot reach,
how broken notebooks are repaired and reported, which code is flagged, what the feedback shows, and that two
graders sharing one gradebook database do not lose or mix up grades.

The whole pipeline against the hostile-submission corpus is in tests/test_sandbox_corpus.py.
"""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import grading

sys.path.insert(0, str(grading.ROOT / "grader"))
import autograding  # noqa: E402
import sandbox  # noqa: E402

SLUG = "04_attention"
INFO = sandbox.probe()
REQUIRED = os.environ.get("COURSE_REQUIRE_SANDBOX") == "1"
needs_sandbox = pytest.mark.skipif(not INFO.available and not REQUIRED,
                                   reason=f"no sandbox on this machine: {INFO.reason}")


def test_sandbox_is_available_where_required():
    """CI sets COURSE_REQUIRE_SANDBOX=1: there, a missing sandbox fails instead of skipping its tests."""
    if REQUIRED:
        assert INFO.available, INFO.reason
    assert INFO.describe()


# --- what a sandboxed process can and cannot reach ---------------------------------------------------------

@needs_sandbox
def test_sandbox_hides_the_course_and_the_host(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden tests")
    code = f"""
import json, os, socket
seen = {{}}
for path in [{str(secret)!r}, {str(grading.ROOT / 'grader' / 'nbgrader_config.py')!r},
             {str(grading.ROOT / 'solutions')!r}, {str(grading.ROOT / 'tests')!r}, "/etc/shadow", "/root/.bashrc",
             "/var/log", "/sys/fs/cgroup"]:
    seen[path] = os.path.exists(path)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    seen["network"] = True
except OSError:
    seen["network"] = False
try:
    open("/usr/lib/written-by-student", "w")
    seen["writes /usr"] = True
except OSError:
    seen["writes /usr"] = False
open(os.path.expanduser("~/notes.txt"), "w").write("fine")
seen["home"] = sorted(os.listdir(os.path.expanduser("~")))
seen["processes"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
import course, torch  # what a lesson needs is there
print(json.dumps(seen))
"""
    result = sandbox.run_isolated(code, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    hidden = {path: visible for path, visible in seen.items() if path.startswith("/") and visible}
    assert not hidden, f"the sandbox shows paths it must hide: {hidden}"
    assert seen["network"] is False and seen["writes /usr"] is False
    assert seen["home"] == ["notes.txt"], "the home folder must be private, empty and writable"
    assert len(seen["processes"]) <= 3, f"the sandbox sees the host's processes: {seen['processes']}"


@needs_sandbox
def test_sandbox_bounds_processes_and_memory():
    limits = sandbox.Limits(memory=1 * sandbox.GIB, processes=40)
    forks = sandbox.run_isolated("""
import os, time
count = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        count += 1
except OSError:
    pass
print(count)
""", limits, timeout=60)
    assert int(forks.stdout.split()[-1]) < 40, forks.stdout
    memory = sandbox.run_isolated("""
hoard = []
try:
    for _ in range(8):
        hoard.append(bytearray(b"x" * 2**29))   # touched, not only reserved
    print("allocated 4 GiB")
except MemoryError:
    print("MemoryError")
""", limits, timeout=60)
    assert "allocated 4 GiB" not in memory.stdout, "a submission took more memory than its limit"


@needs_sandbox
def test_no_process_outlives_the_sandbox():
    marker = f"outlive-{os.getpid()}-{time.monotonic_ns()}"
    sandbox.run_isolated(f"""
import subprocess
subprocess.Popen(["/bin/sh", "-c", "sleep 300 # {marker}"], start_new_session=True)
print("daemon started")
""", timeout=60)
    time.sleep(1)
    survivors = [pid for pid in os.listdir("/proc") if pid.isdigit() and
                 marker.encode() in _read(Path("/proc", pid, "cmdline"))]
    assert not survivors, f"processes started in the sandbox survived it: {survivors}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@pytest.fixture(scope="module")
def guard_kernel():
    """A kernel started the sandbox's way (without the sandbox), with the guard loaded first."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    manager = KernelManager()
    manager._kernel_spec = KernelSpec(argv=[sys.executable, str(grading.ROOT / "grader" / "sandbox_kernel.py"),
                                            "-f", "{connection_file}"], language="python", display_name="guard",
                                      resource_dir=str(grading.ROOT))
    manager.start_kernel(env={**os.environ, "PYTHONHASHSEED": "0"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)

    def run(code: str, expression: str | None = None, silent: bool = False) -> dict:
        """Run code as a cell, or ``silent`` as the grader's own requests are sent."""
        msg_id = client.execute(code, silent=silent, store_history=not silent,
                                user_expressions={"r": expression} if expression else {})
        while True:
            reply = client.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    yield run
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def test_guard_restores_what_the_tests_rely_on(guard_kernel):
    guard = "__import__('_course_guard')"
    guard_kernel(f"{guard}.start(['torch', 'torch.nn.functional', 'math', 'course.quiz'])", silent=True)
    guard_kernel("import math, torch\nimport torch.nn.functional as F\nfrom course.quiz import grade_answer")
    guard_kernel(f"{guard}.checkpoint(['math', 'torch', 'F', 'grade_answer'], True)", silent=True)
    attack = guard_kernel("""
import builtins, course.quiz, sys
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
ip.showtraceback = lambda *args, **kwargs: None
ip.ast_transformers.append(__import__("ast").NodeTransformer())
torch.testing.assert_close = lambda *args, **kwargs: None
torch.Tensor.allclose = lambda *args, **kwargs: True
F.scaled_dot_product_attention = lambda *args, **kwargs: 0
course.quiz.grade_answer.__code__ = (lambda *args, **kwargs: None).__code__
math.sqrt = lambda x: 1.0
builtins.abs = lambda x: 0
F = None
def isinstance(*args):
    return True
sys.settrace(lambda *args: None)
""")
    assert attack["status"] == "ok", attack
    restored = guard_kernel(f"{guard}.restore('n0nce')", f"{guard}.report", silent=True)
    report = restored["user_expressions"]["r"]["data"]["text/plain"]
    assert report.strip("'").startswith("n0nce|")
    check = guard_kernel("""
import builtins
assert torch.testing.assert_close.__module__ == "torch.testing._comparison"
assert not hasattr(torch.Tensor.__dict__, "allclose") and "allclose" not in torch.Tensor.__dict__
assert F.scaled_dot_product_attention.__name__ == "scaled_dot_product_attention"
assert math.sqrt(4) == 2 and abs(-1) == 1 and builtins.abs(-1) == 1
assert isinstance.__module__ == "builtins"
assert get_ipython().custom_exceptions == () and not get_ipython().ast_transformers
assert sys.gettrace() is None
try:
    grade_answer("x", "a", "b", {"a": "wrong", "b": "right"})
    raise SystemExit("grade_answer accepted a wrong letter")
except AssertionError:
    pass
""")
    assert check["status"] == "ok", check
    failing = guard_kernel("assert False, 'a failing test still fails'")
    assert failing["status"] == "error" and failing["evalue"] == "a failing test still fails"


def test_guard_forgets_test_code(guard_kernel):
    secret = "assert 1 + 1 == 2  # only-in-a-hidden-test"
    guard_kernel(secret)
    guard_kernel("__import__('_course_guard').forget()", silent=True)
    leak = guard_kernel("import linecache\nseen = repr((In, _ih, _i, _ii, _iii, linecache.cache))", "seen")
    assert "only-in-a-hidden-test" not in leak["user_expressions"]["r"]["data"]["text/plain"]


# --- inspecting and rebuilding submissions ----------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson():
    source = nbformat.read(grading.manage.SOLUTIONS / f"{SLUG}.ipynb", as_version=4)
    release = nbformat.read(grading.manage.NOTEBOOKS / f"{SLUG}.ipynb", as_version=4)
    return autograding.Lesson.read(SLUG, source, release)


def answered(lesson):
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in lesson.source.cells
               if autograding._is_answer(cell)}
    return grading.fill_answers(lesson.release, answers)


def inspect(lesson, notebook, tmp_path, name=f"{SLUG}.ipynb", version=4):
    path = tmp_path / name
    nbformat.write(notebook if version == 4 else nbformat.convert(notebook, version), path)
    return autograding.inspect_submission(path, lesson)


def roles(notebook):
    return [(cell.id, cell.metadata.get("course_grader", {}).get("role")) for cell in notebook.cells
            if cell.cell_type == "code"]


def test_an_intact_submission_is_graded_as_is(lesson, tmp_path):
    result = inspect(lesson, answered(lesson), tmp_path)
    assert result.problems == []
    ids = [cell.id for cell in result.notebook.cells]
    assert ids == [cell.id for cell in lesson.release.cells], "the graded notebook keeps the lesson's cells"
    assert ("ex04_1", "answer") in roles(result.notebook) and ("ex04_1_test", "test") in roles(result.notebook)


def test_structural_damage_is_repaired_and_reported(lesson, tmp_path):
    notebook = answered(lesson)
    cells = notebook.cells
    answer = next(cell for cell in cells if cell.id == "ex04_3")
    half = copy.deepcopy(answer)
    lines = answer.source.splitlines(keepends=True)
    answer.source, half.source, half.id = "".join(lines[:3]), "".join(lines[3:]), "second-half"
    cells.insert(cells.index(answer) + 1, half)
    moved = next(cell for cell in cells if cell.id == "ex04_2")
    cells.remove(moved)
    cells.insert(cells.index(next(cell for cell in cells if cell.id == "ex04_2_test")) + 1, moved)
    cells.remove(next(cell for cell in cells if cell.id == "ex04_1_test"))
    scratch = nbformat.v4.new_code_cell("helper = 41 + 1")
    cells.insert(cells.index(next(cell for cell in cells if cell.id == "ex04_1")) + 1, scratch)
    result = inspect(lesson, notebook, tmp_path)
    text = "\n".join(result.problems)
    for expected in ("split in two or more: ex04_3", "moved below their tests: ex04_2",
                     "test cells deleted: ex04_1_test"):
        assert expected in text, text
    graded = result.notebook
    order = [cell.id for cell in graded.cells if not cell.id.startswith("added-")]
    assert order == [cell.id for cell in lesson.release.cells], "graded in the lesson's order, tests restored"
    joined = next(cell for cell in graded.cells if cell.id == "ex04_3").source
    assert joined.replace("\n", "") == "".join(lines).replace("\n", "")
    added = [cell for cell in graded.cells if cell.id.startswith("added-")]
    assert [cell.source for cell in added] == ["helper = 41 + 1"]
    assert graded.cells.index(added[0]) == graded.cells.index(
        next(cell for cell in graded.cells if cell.id == "ex04_1")) + 1, "an added cell stays where it was"


def test_metadata_problems(lesson, tmp_path):
    stripped = answered(lesson)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    assert "metadata stripped" in "\n".join(inspect(lesson, stripped, tmp_path).problems)
    old = answered(lesson)
    for cell in old.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["schema_version"] = 1
            if cell.metadata["nbgrader"].get("grade"):
                cell.metadata["nbgrader"]["points"] = 99
    forged = nbformat.v4.new_code_cell("pass")
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "extra", "points": 10, "schema_version": 3}
    old.cells.append(forged)
    result = inspect(lesson, old, tmp_path)
    text = "\n".join(result.problems)
    assert "old nbgrader metadata" in text and "was changed" in text and "unknown graded cells extra" in text
    assert all(autograding._meta(cell).get("points", 0) < 99 for cell in result.notebook.cells)
    assert "extra" not in {autograding._meta(cell).get("grade_id") for cell in result.notebook.cells}


def test_unusable_files_are_named(lesson, tmp_path):
    cases = {"cut.ipynb": b'{"cells": [', "empty.ipynb": b"", "zip.ipynb": b"PK\x03\x04\x00\xff",
             "data.ipynb": b'{"a": 1}'}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        result = autograding.inspect_submission(tmp_path / name, lesson)
        assert result.notebook is None and "not a readable notebook" in result.problems[0], (name, result)
    v3 = inspect(lesson, answered(lesson), tmp_path, "v3.ipynb", version=3)
    assert v3.notebook is not None and "nbformat 3" in v3.problems[0]
    other = nbformat.read(grading.manage.NOTEBOOKS / "05_multi_head_attention.ipynb", as_version=4)
    assert "wrong lesson" in inspect(lesson, other, tmp_path, "05.ipynb").problems[0]


def test_renamed_and_missing_files_are_found(tmp_path):
    folder = tmp_path / "submitted" / "dana" / SLUG
    folder.mkdir(parents=True)
    (folder / f"Copy of {SLUG}.ipynb").write_text("{}")
    (tmp_path / "submitted" / "eve" / SLUG).mkdir(parents=True)
    found = autograding.find_submissions(tmp_path, SLUG)
    assert found["dana"][0].name == f"Copy of {SLUG}.ipynb" and "renamed file" in found["dana"][1][0]
    assert found["eve"][0] is None and "no notebook" in found["eve"][1][0]


def test_shards_split_the_class():
    students = [f"student{number:03d}" for number in range(200)]
    shards = [[s for s in students if autograding.in_shard(s, (index, 3))] for index in (1, 2, 3)]
    assert sorted(sum(shards, [])) == students and all(len(shard) > 40 for shard in shards)


# --- reviewing code -------------------------------------------------------------------------------------

def test_review_flags_tampering_but_not_honest_answers():
    protected = {"torch", "F", "math", "course", "check_answer"}
    flagged = {
        "get_ipython().set_custom_exc((Exception,), print)": "uses get_ipython",
        "import torch\ntorch.testing.assert_close = print": "assigns to torch.testing.assert_close",
        "x = torch.testing\nx.assert_close.__code__ = None": "uses .__code__",
        "F = None": "redefines F",
        "def abs(x):\n    return 0": "shadows the built-in abs",
        "class Liar(torch.Tensor):\n    pass": "subclass of torch.Tensor",
        "exec('print(1)')": "uses exec",
        "!ls": "uses get_ipython",
    }
    for code, expected in flagged.items():
        found = autograding.review_code(code, protected)
        assert any(expected in item for item in found), (code, found)
    honest = ("class Block(torch.nn.Module):\n    def __init__(self, d):\n        super().__init__()\n"
              "        self.linear = torch.nn.Linear(d, d)\n    def forward(self, x):\n        return self.linear(x)\n"
              "def f(q, k):\n    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])\n    return scores\n")
    assert autograding.review_code(honest, protected) == []


@pytest.mark.parametrize("slug", grading.manage.lesson_slugs())
def test_reference_answers_are_never_flagged(slug):
    """A correct student must never get a 'can tamper with grading' PROBLEM line."""
    source = nbformat.read(grading.manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
    lesson = autograding.Lesson.read(slug, source, source)
    for cell in source.cells:
        if autograding._is_answer(cell):
            code = cell.source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
            assert autograding.review_code(code, set(lesson.lesson_names)) == [], (slug, cell.id)


# --- feedback ---------------------------------------------------------------------------------------------

def test_feedback_shows_results_and_messages_not_hidden_tests(lesson):
    executed = copy.deepcopy(lesson.source)
    test = next(cell for cell in executed.cells if autograding._is_test(cell))
    hidden_line = lesson.hidden_lines[0]
    test.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="scale by sqrt(d_k)",
                                           traceback=[f"----> 12 {hidden_line}", "AssertionError: scale"]),
                    nbformat.v4.new_output("stream", name="stdout", text=f"copied: {hidden_line}\n")]
    feedback = autograding.sanitize_for_feedback(executed, lesson.hidden_lines)
    text = nbformat.writes(feedback)
    assert "BEGIN HIDDEN TESTS" not in text and hidden_line not in text
    shown = next(cell for cell in feedback.cells if cell.id == test.id)
    assert shown.outputs[0].traceback == ["AssertionError: scale by sqrt(d_k)"]
    assert autograding.REDACTED in shown.outputs[1].text
    assert autograding.leaked(executed, lesson.hidden_lines)


# --- two graders, one gradebook -----------------------------------------------------------------------------

def test_two_concurrent_graders_share_one_gradebook(tmp_path):
    """Two shards graded at the same time against one SQLite gradebook: every student recorded once, right."""
    course = grading.new_course(tmp_path / "course")
    release = grading.manage.generate_student_version(course, SLUG, grading.manage.SOLUTIONS / f"{SLUG}.ipynb")
    students = [f"s{number:02d}" for number in range(40)]
    for student in students:   # broken uploads: recorded without running a kernel, so the two graders race
        folder = course / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        (folder / f"{SLUG}.ipynb").write_text("not a notebook" if int(student[1:]) % 2 else "")
    assert release.cells
    command = [sys.executable, str(grading.ROOT / "grader" / "manage.py"), "autograde", SLUG, "--course-dir",
               str(course), "--jobs", "1"] + ([] if INFO.available else ["--no-sandbox"])
    graders = [subprocess.Popen([*command, "--shard", f"{index}/2"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=grading.manage.nbgrader_env())
               for index in (1, 2)]
    outputs = [grader.communicate(timeout=600)[0] for grader in graders]
    for output, grader in zip(outputs, graders):
        assert grader.returncode == 1, output          # every submission here has a problem
        assert "CHECK FAILED" not in output and "checked: all" in output, output
    graded = [line.split()[0] for output in outputs for line in output.splitlines()
              if line.startswith("s") and "/" in line]
    assert sorted(graded) == students, "each student graded by exactly one of the two shards"
    scores = autograding.read_scores(f"sqlite:///{course / 'gradebook.db'}", SLUG)
    assert sorted(student for (assignment, student) in scores if assignment == SLUG) == students
    autograding.export(course, f"sqlite:///{course / 'gradebook.db'}")
    with open(course / "grades.csv") as file:
        exported = {row["student_id"] for row in csv.DictReader(file) if row["assignment"] == SLUG}
    assert exported == set(students)
