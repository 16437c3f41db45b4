"""pyproject.toml and environment.yml list the same dependencies; the set-up files agree with the README."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def pip_requirements() -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    extras = project["optional-dependencies"]
    listed = project["dependencies"] + extras["lab"] + extras["test"]
    return {Requirement(item).name.lower(): str(Requirement(item).specifier) for item in listed}


def conda_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    listed = [item for item in pip_section if not item.startswith("-e")]
    return {Requirement(item).name.lower(): str(Requirement(item).specifier) for item in listed}


def test_environment_yml_matches_pyproject():
    pip, conda = pip_requirements(), conda_requirements()
    assert set(pip) - set(conda) == set(), f"missing from environment.yml: {sorted(set(pip) - set(conda))}"
    assert set(conda) - set(pip) == set(), f"missing from pyproject.toml: {sorted(set(conda) - set(pip))}"
    different = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert not different, f"versions differ (pyproject, environment.yml): {different}"


def test_environment_yml_installs_the_course_package():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_section
    assert any(str(item).startswith("python=3.11") for item in environment["dependencies"])


def test_torch_is_pinned_first_everywhere_it_is_installed():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.index("torch==2.13.0") < makefile.index('-e ".[lab,test]"')
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci, ".ci/run must call the README's test command"
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
