"""Benchmark of the instructor's command: the same class graded serially and in parallel.

    python tests/benchmark_grading.py                      # lesson 04, 8 students, --jobs = number of cores
    python tests/benchmark_grading.py --students 12 --jobs 4 --lesson 09_masking

Half the students hand in the reference solution, half the lesson's typical wrong answers
(tests/wrong_answers). The class is graded with ``--jobs 1`` and then with ``--jobs N`` (each in a fresh copy
of the course), both sandboxed; the script prints the seconds per submission of each, the speed-up, and
whether every grade (cell by cell) is identical. Not a test: its timing depends on the machine.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading  # noqa: E402

sys.path.insert(0, str(grading.ROOT / "grader"))
import autograding  # noqa: E402


def cell_grades(course: Path, slug: str) -> dict[str, dict[str, float | None]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {submission.student.id: {grade.name: grade.score for grade in
                                        gradebook.find_submission_notebook(slug, slug, submission.student.id).grades}
                for submission in gradebook.find_assignment(slug).submissions}


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cpu_seconds() -> float | None:
    """CPU time used so far by this process and everything it started, kernels included (cgroup v1 cpuacct,
    as root), or None where that cannot be measured."""
    group = CPUACCT / f"grading-benchmark-{os.getpid()}"
    try:
        if not group.is_dir():
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
        return int((group / "cpuacct.usage").read_text()) / 1e9
    except OSError:
        return None


def run(course: Path, slug: str, jobs: int) -> tuple[float, float, float | None, str]:
    out = io.StringIO()
    cpu_before = cpu_seconds()
    start = time.monotonic()
    autograding.autograde(slug, course, jobs=jobs, out=out)
    total = time.monotonic() - start
    cpu_after = cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    match = re.search(r"run in ([\d.]+) s", out.getvalue())
    return float(match.group(1)) if match else total, total, cpu, out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="04_attention")
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args(argv)
    slug = args.lesson
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as folder:
        base = grading.new_course(Path(folder) / "base")
        release = grading.manage.generate_student_version(base, slug, grading.manage.SOLUTIONS / f"{slug}.ipynb")
        solution = nbformat.read(grading.manage.SOLUTIONS / f"{slug}.ipynb", as_version=4)
        wrong = grading.load_wrong_answers(slug).WRONG
        for number in range(args.students):
            answers = grading.answer_cells(solution) if number % 2 == 0 else wrong
            grading.submit(base, f"student{number:02d}", slug, grading.fill_answers(release, answers))
        results = {}
        for jobs in (1, args.jobs):
            course = Path(folder) / f"jobs{jobs}"
            shutil.copytree(base, course)
            pool_seconds, total, cpu, output = run(course, slug, jobs)
            results[jobs] = (pool_seconds, total, cell_grades(course, slug), output)
            usage = (f"; {cpu:.0f} CPU-seconds, i.e. {cpu / total:.2f} cores busy on average" if cpu else "")
            print(f"--jobs {jobs}: {pool_seconds:6.1f} s for {args.students} submissions = "
                  f"{pool_seconds / args.students:5.1f} s per submission (whole command {total:.1f} s{usage})",
                  flush=True)
        serial, parallel = results[1], results[args.jobs]
        identical = serial[2] == parallel[2]
        print(f"speed-up with --jobs {args.jobs}: {serial[0] / parallel[0]:.2f}x; grades identical cell by cell: "
              f"{'yes' if identical else 'NO'}")
        if not identical:
            print(serial[3], parallel[3], sep="\n")
        totals = {student: sum(score or 0 for score in grades.values()) for student, grades in serial[2].items()}
        print("scores:", ", ".join(f"{student} {score:g}" for student, score in sorted(totals.items())))
        print(f"load average now: {', '.join(f'{value:.1f}' for value in os.getloadavg())} "
              f"on {os.cpu_count()} cores (other work on the machine slows the parallel run most)")
    group = CPUACCT / f"grading-benchmark-{os.getpid()}"
    if group.is_dir():
        try:
            (CPUACCT / "cgroup.procs").write_text(str(os.getpid()))
            group.rmdir()
        except OSError:
            pass
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
