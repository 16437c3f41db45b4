"""Offline loaders of the course's own checkpoints, shipped in this package (``course/models/checkpoints``).

>>> from course.models import load_gpt
>>> tokenizer, model = load_gpt()
>>> ids = tokenizer("One morning, Anna", return_tensors="pt")
>>> print(tokenizer.decode(model.generate(**ids)[0]))  # doctest: +SKIP

Each loader is ``AutoTokenizer.from_pretrained(path)`` plus the ``AutoModelFor...`` class of the model, under
``HF_HUB_OFFLINE=1``; :func:`checkpoint_path` gives the folder, to pass to any other ``from_pretrained`` (a
pipeline, ``peft``, ``Trainer``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from course.models import common
from course.models.minilm import ModelNotInstalledError

MODEL_NAMES = common.MODEL_NAMES
AUTO_CLASSES = {
    "gpt": "AutoModelForCausalLM",
    "translator": "AutoModelForSeq2SeqLM",
    "bert": "AutoModelForMaskedLM",
}
REQUIRED_FILES = {
    "gpt": (
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ),
    "translator": (
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ),
    "bert": ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"),
    "sentiment": ("config.json", "model.safetensors"),
}
SHIPPED = (*MODEL_NAMES, "sentiment")  # "sentiment": a head on frozen MiniLM, loaded by load_sentiment


class CheckpointMissingError(ModelNotInstalledError):
    """A file of one of the course's own checkpoints is missing; the message says how to rebuild it."""


def _rebuild_hint(name: str) -> str:
    duration = "about a minute" if name == "sentiment" else "about 10 minutes"
    return (
        f"Rebuild it ({duration} on a CPU) with:  python -m course.models build {name}   "
        "or reinstall the course package, which ships it:  pip install --force-reinstall --no-deps ."
    )


def checkpoint_path(name: str, root: Path | str | None = None) -> Path:
    """Folder of checkpoint ``name`` (``"gpt"``, ``"translator"``, ``"bert"`` or ``"sentiment"``), checked to
    hold every file
    that ``from_pretrained`` needs.

    Raises:
        ValueError: ``name`` is not one of the course's checkpoints.
        CheckpointMissingError: a file is missing (the message gives the command that rebuilds it).
    """
    if name not in SHIPPED:
        raise ValueError(f"unknown checkpoint {name!r}; the course ships {', '.join(SHIPPED)}")
    folder = Path(root) / name if root is not None else common.CHECKPOINTS_DIR / name
    missing = [file for file in REQUIRED_FILES[name] if not (folder / file).is_file()]
    if missing:
        raise CheckpointMissingError(
            f"the course's {name!r} checkpoint is incomplete: {', '.join(missing)} "
            f"missing in {folder}. {_rebuild_hint(name)}"
        )
    return folder


def manifest() -> dict:
    """The manifest of the shipped checkpoints: files and hashes, parameters, data recipe, seed, quality."""
    return json.loads(common.MANIFEST_PATH.read_text())


def load_course_model(name: str, *, attentions: bool = False, root: Path | str | None = None):
    """Load checkpoint ``name`` offline, in eval mode: ``(tokenizer, model)``.

    Args:
        name: ``"gpt"`` (``GPT2LMHeadModel``), ``"translator"`` (``MarianMTModel``) or ``"bert"``
            (``BertForMaskedLM``).
        attentions: load with ``attn_implementation="eager"`` so that ``output_attentions=True`` returns the
            weights ``(batch, heads, q_len, k_len)`` of every layer; otherwise the fused ``"sdpa"`` kernel.
        root: a folder of checkpoints other than the package's own (``python -m course.models build --out``).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers

    folder = checkpoint_path(name, root)
    model_class = getattr(transformers, AUTO_CLASSES[name])
    with common.quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        model = model_class.from_pretrained(folder, attn_implementation="eager" if attentions else "sdpa")
    model.eval()
    return tokenizer, model


def load_gpt(*, attentions: bool = False):
    """The course's causal LM: ``(tokenizer, GPT2LMHeadModel)``, about 1.1 M parameters, context 256.

    ``<|endoftext|>`` (id 0) is its begin / end token, ``<|pad|>`` (id 1) a separate pad token. Its
    ``generation_config`` is greedy with ``max_new_tokens=128``. Logits: ``(batch, seq, vocab)``.
    """
    return load_course_model("gpt", attentions=attentions)


def load_translator(*, attentions: bool = False):
    """The course's English → French translator: ``(tokenizer, MarianMTModel)``; ``model.generate(**batch)``
    (greedy, ``max_new_tokens=48``; pass ``num_beams=4`` for beam search) returns ids ``(batch, out_len)``."""
    return load_course_model("translator", attentions=attentions)


def load_bert(*, attentions: bool = False):
    """The course's masked LM: ``(tokenizer, BertForMaskedLM)``, uncased, with ``[MASK]`` for ``fill-mask``.
    Logits: ``(batch, seq, vocab)``."""
    return load_course_model("bert", attentions=attentions)


def load_sentiment(root: Path | str | None = None):
    """The course's sentiment classifier, in eval mode: a :class:`course.models.sentiment.SentimentClassifier`
    (an ``nn.Module``: MiniLM + masked mean pooling + ``nn.Linear(384, 2)``, its tokenizer attached).

    ``model.predict_proba(texts)`` -> probabilities ``(len(texts), 2)`` in the order of ``model.labels``
    (``("negative", "positive")``); ``model(input_ids, attention_mask)`` -> logits ``(batch, 2)``.

    Args:
        root: a folder of checkpoints other than the package's own (``python -m course.models build --out``).

    Raises:
        CheckpointMissingError: the head's files are missing (the message gives the command that rebuilds it).
        ModelNotInstalledError: MiniLM's package is not installed.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from course.models import sentiment

    return sentiment.load(checkpoint_path("sentiment", root))
