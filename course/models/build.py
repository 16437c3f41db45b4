"""Build (pre-train) the course's checkpoints: ``python -m course.models build gpt|translator|bert|all``;
``python -m course.models build sentiment`` fits the sentiment classifier's head (seconds; not in ``all``,
which builds the three pre-trained language models).

Each recipe is seeded and runs on one CPU thread, so the same command on the same stack gives the same
weights. It writes ``<out>/<name>/`` (safetensors weights, config, tokenizer, generation config, model card)
and the model's entry in the manifest: ``course/models/manifest.json`` when ``<out>`` is the package's own
``course/models/checkpoints`` (the default), ``<out>/manifest.json`` for any other ``--out``.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import shutil
import sys
import time
from pathlib import Path

import torch

from course.models import common


RECIPES = (*common.MODEL_NAMES, "sentiment")  # "sentiment": a head on frozen MiniLM (lesson 22, the service)


def recipe(name: str):
    if name not in RECIPES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(RECIPES)}")
    return importlib.import_module(f"course.models.{name}")


def manifest_path_for(out: Path) -> Path:
    return (
        common.MANIFEST_PATH if out.resolve() == common.CHECKPOINTS_DIR.resolve() else out / "manifest.json"
    )


def build_one(
    name: str,
    out: Path = common.CHECKPOINTS_DIR,
    steps: int | None = None,
    seed: int = 0,
    log=print,
    smoke: bool = False,
) -> dict:
    """Build checkpoint ``name`` into ``out/name`` and record it in the manifest; return its manifest entry.

    ``smoke=True`` trains on a few hundred texts and evaluates on twenty: a quick check that the recipe
    runs, never a checkpoint to ship (refused for the package's own folder)."""
    common.offline()
    if smoke and manifest_path_for(out) == common.MANIFEST_PATH:
        raise ValueError("a smoke build never goes into the package's checkpoints: pass --out DIR")
    module = recipe(name)
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    threads = torch.get_num_threads()
    torch.set_num_threads(common.BUILD_THREADS)
    log(f"building {name!r} into {folder} ({'recipe' if steps is None else steps} steps, seed {seed})")
    try:
        with common.quiet_transformers(), common.Timer() as timer:
            entry = module.build(folder, steps=steps, seed=seed, log=log, smoke=smoke)
    finally:
        torch.set_num_threads(threads)
    command = f"python -m course.models build {name}" + (f" --steps {steps}" if steps else "")
    entry["build"] = {
        "command": command + (" --smoke" if smoke else ""),
        "wall_seconds": round(timer.wall, 1),
        "cpu_seconds": round(timer.cpu, 1),
        "threads": common.BUILD_THREADS,
        "python": platform.python_version(),
        **common.versions(),
        "date": time.strftime("%Y-%m-%d"),
    }
    for path in folder.iterdir():
        path.chmod(0o644)  # safetensors writes 0600; an installed package must be readable by every user
    entry["files"] = common.file_table(folder)
    entry["total_bytes"] = sum(file["bytes"] for file in entry["files"].values())
    common.write_card(
        folder,
        name,
        {
            **module.card_values(entry),
            "wall": f"{timer.wall / 60:.1f}",
            "cpu": f"{timer.cpu / 60:.1f}",
            "command": entry["build"]["command"],
        },
    )
    common.write_manifest_entry(manifest_path_for(out), name, entry)
    log(f"built {name!r} in {timer.wall:.0f} s wall, {timer.cpu:.0f} s CPU: {entry['quality']}")
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.models", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="pre-train checkpoints and update the manifest")
    build.add_argument("model", choices=[*RECIPES, "all"])
    build.add_argument(
        "--out",
        type=Path,
        default=common.CHECKPOINTS_DIR,
        help="folder of the checkpoints (default: the package's own, which updates its manifest)",
    )
    build.add_argument("--steps", type=int, default=None, help="training steps (default: the recipe's)")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data (a few hundred texts): checks that a recipe runs; needs --out",
    )
    arguments = parser.parse_args(argv)
    names = common.MODEL_NAMES if arguments.model == "all" else (arguments.model,)
    for name in names:
        build_one(name, arguments.out, arguments.steps, arguments.seed, smoke=arguments.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
