"""Start an IPython kernel with the grader's guard loaded before anything else (runs inside the sandbox).

Run by ``sandbox.py launch`` through bubblewrap (or directly, without a sandbox, under ``--no-sandbox``):
``python sandbox_kernel.py -f CONNECTION_FILE [kernel options]``. The guard (``guard.py``) is imported first,
so that the grader's requests can record the lesson's pristine state before any student code runs; then the
folder holding these two files is removed from ``sys.path``, and the kernel starts.
"""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
sys.path.insert(0, HERE)
import guard  # noqa: E402

guard.install()
sys.modules.pop("guard", None)
sys.path[:] = [entry for entry in sys.path if entry not in (HERE, "")]

from ipykernel.kernelapp import IPKernelApp  # noqa: E402

IPKernelApp.launch_instance(argv=[*sys.argv[1:], "--HistoryManager.hist_file=:memory:"])
