"""Benchmark of lesson 14: how long the translator trains on this machine, and how well it translates.

    python benchmarks/lesson14_translator.py            # runs solutions/14_training_a_translator.ipynb

It executes the lesson's solution notebook top to bottom, offline, exactly as a learner would, and reads the
figures the notebook itself prints (nothing here re-implements the lesson): training steps and seconds, and
exact match on the validation set, on the compositional test set and on the longer sentences. The README
quotes its last output. It is a script, not a timed test: timings depend on the machine and its load.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "14_training_a_translator.ipynb"
PATTERNS = {
    "training": re.compile(r"trained (\d+) steps in (\d+) s"),
    "validation": re.compile(r"exact match on validation\s*: ([\d.]+)%"),
    "compositional test": re.compile(r"exact match on compositional test\s*: ([\d.]+)%"),
    "longer sentences": re.compile(r"exact match on sentences longer than any in training: ([\d.]+)%"),
}


def run_notebook(path: Path = NOTEBOOK) -> tuple[str, float]:
    """Execute the notebook offline; return everything it printed and the wall time in seconds."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    elapsed = time.perf_counter() - start
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []) if output.get("output_type") == "stream")
    return printed, elapsed


def main() -> int:
    printed, elapsed = run_notebook()
    found = {name: pattern.search(printed) for name, pattern in PATTERNS.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing:
        print(f"the notebook did not print {missing}; its output was:\n{printed[-3000:]}", file=sys.stderr)
        return 1
    steps, seconds = found["training"].groups()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"lesson 14 notebook: {elapsed:.0f} s in all")
    print(f"training: {steps} steps in {seconds} s (one thread)")
    for name in ("validation", "compositional test", "longer sentences"):
        print(f"exact match, {name}: {found[name].group(1)} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
