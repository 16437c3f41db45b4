"""What the three build recipes share: where checkpoints live, seeding, training loop, hashes, manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKPOINTS_DIR = PACKAGE_DIR / "checkpoints"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"
CARDS_DIR = PACKAGE_DIR / "cards"
MODEL_NAMES = ("gpt", "translator", "bert")
BUILD_THREADS = 1  # measured: one thread is faster than two on a busy 2-core machine; float sums depend on it


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No "loading weights" messages or progress bars from transformers while inside."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


SMOKE_DATA = {"n_train": 400, "n_valid": 20, "n_test": 20}  # for a quick check that a recipe runs


def data_splits(data: dict, split_function, smoke: bool = False):
    """The recipe's splits: ``split_function`` called with the ``data`` recipe (smaller when ``smoke``)."""
    arguments = {key: value for key, value in data.items() if key != "function"}
    if smoke:
        arguments.update(SMOKE_DATA)
    return split_function(**arguments)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_table(folder: Path) -> dict[str, dict[str, object]]:
    """``{file name: {"sha256": ..., "bytes": ...}}`` of every file of a checkpoint folder but its card."""
    return {
        path.name: {"sha256": sha256(path), "bytes": path.stat().st_size}
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != "README.md"
    }


def read_manifest(path: Path = MANIFEST_PATH) -> dict:
    if not path.is_file():
        return {"models": {}}
    return json.loads(path.read_text())


def write_manifest_entry(path: Path, name: str, entry: dict) -> None:
    manifest = read_manifest(path)
    manifest.setdefault("models", {})[name] = entry
    manifest["models"] = dict(sorted(manifest["models"].items()))
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def write_card(folder: Path, name: str, values: dict) -> None:
    """The model card: the template ``cards/<name>.md`` filled with the build's figures, as ``README.md``."""
    template = (CARDS_DIR / f"{name}.md").read_text()
    (folder / "README.md").write_text(template.format(**values))


def train(
    model: torch.nn.Module,
    next_batch: Callable[[int], dict],
    steps: int,
    lr: float,
    warmup: int,
    log_every: int = 50,
    weight_decay: float = 0.01,
    log: Callable[[str], None] = print,
) -> list[float]:
    """AdamW with linear warm-up and cosine decay to 10 % of ``lr``; ``next_batch(step)`` gives the model's
    keyword arguments (with ``labels``). Returns the training loss of every step."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n and "wte" not in n]
    no_decay = [
        p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n and "wte" not in n)
    ]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.98),
    )

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    model.train()
    losses: list[float] = []
    start = time.perf_counter()
    for step in range(steps):
        loss = model(**next_batch(step)).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            recent = losses[-log_every:]
            log(
                f"  step {step:5d}/{steps}  loss {sum(recent) / len(recent):.4f}  "
                f"{time.perf_counter() - start:6.1f} s"
            )
    model.eval()
    return losses


class Timer:
    """Wall-clock and CPU time of a block (the CPU time counts every thread of the process)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def versions() -> dict[str, str]:
    import tokenizers
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
    }


def offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
