"""The course installs the way Colab installs it: the wheel built from this repository, into a fresh virtual
environment that has only PyTorch (as Colab has), through the notebooks' own install cell. The wheel must carry
everything a notebook needs (the models' checkpoints, manifest and cards included) and nothing it does not
(no JupyterLab, no nbgrader, no test tools, no solutions).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

import grading

ROOT = grading.ROOT
TORCH = "torch==2.13.0"  # pinned, as in the Makefile: an unpinned torch pulls several GB of CUDA packages


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(out), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    (path,) = out.glob("transformers_course-*.whl")
    return path


def test_wheel_carries_the_package_and_its_models_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    manifest = json.loads(zipfile.ZipFile(wheel).read("course/models/manifest.json"))
    for name, entry in manifest["models"].items():
        for file in entry["files"]:
            assert f"course/models/checkpoints/{name}/{file}" in names, f"the wheel lacks {name}/{file}"
        assert f"course/models/cards/{name}.md" in names
    top_level = {name.split("/")[0] for name in names}
    assert top_level <= {"course"} | {name for name in top_level if name.endswith(".dist-info")}, top_level


def setup_cells() -> str:
    """The set-up cell (imports, seeds) of every lesson: the first code cell after the install cell."""
    cells = []
    for slug in grading.manage.lesson_slugs():
        notebook = nbformat.read(ROOT / "notebooks" / f"{slug}.ipynb", as_version=4)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        cells.append(f"# --- {slug}\n{code[1]}")
    return "\n\n".join(cells)


def test_colab_install_cell_installs_what_a_notebook_needs(wheel, tmp_path):
    environment = tmp_path / "colab"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    python = environment / "bin" / "python"
    torch = subprocess.run([python, "-m", "pip", "install", "-q", TORCH], capture_output=True, text=True)
    assert torch.returncode == 0, torch.stdout + torch.stderr

    notebook = nbformat.read(ROOT / "notebooks" / "01_what_is_a_transformer.ipynb", as_version=4)
    install = next(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert grading.manage.install_spec() in install
    install = install.replace(grading.manage.install_spec(), str(wheel))
    script = tmp_path / "colab.py"
    script.write_text(f"""
import importlib.machinery, importlib.util, os, sys, types
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["MPLBACKEND"] = "Agg"
colab = types.ModuleType("google.colab")   # what the install cell looks for
colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
sys.modules["google.colab"] = colab
{install}

for tool in ("jupyterlab", "nbgrader", "notebook", "pytest", "nbval"):
    assert importlib.util.find_spec(tool) is None, f"the runtime install brought {{tool}}, which a notebook does not need"
{setup_cells()}

import course
from course.models import load_bert, load_gpt, load_translator
course.load_minilm()
tokenizer, model = load_gpt()
ids = tokenizer("Once upon a time", return_tensors="pt").input_ids
print("gpt:", tokenizer.decode(model.generate(ids, max_new_tokens=8)[0]))
from course.data import sample_pairs
english, french = sample_pairs(1, seed=0)[0]
tokenizer, model = load_translator()
print("translator:", english, "->", tokenizer.batch_decode(model.generate(**tokenizer([english], return_tensors="pt")),
                                                         skip_special_tokens=True), "reference:", french)
load_bert()
print("NOTEBOOK READY")
""")
    run = subprocess.run([python, str(script)], capture_output=True, text=True, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "installed: torch 2.13.0" in run.stdout, output[-3000:]
    assert "Restart the session" not in run.stdout, output[-3000:]
    assert "NOTEBOOK READY" in run.stdout, output[-3000:]


def test_install_cell_shows_pips_own_error(tmp_path):
    """A failing install prints pip's reason, not only CalledProcessError."""
    install = grading.manage.install_cell().replace(grading.manage.install_spec(), str(tmp_path / "missing.whl"))
    script = f"import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n{install}\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode != 0
    assert "pip could not install the course" in run.stderr
    assert "missing.whl" in run.stdout, run.stdout[-2000:]
