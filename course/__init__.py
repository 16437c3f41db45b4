"""Helpers for the course *Transformers for NLP, from attention to deployment*.

Visualisation (attention maps, masks, positional encodings, tokens), the course's own data (``course.data``)
and pretrained models (``course.models``), offline model loading and notebook set-up. Never the answer to an
exercise.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from course.attention import attention_explorer, plot_attention, plot_attention_grid, widgets_available
from course.diagrams import plot_encoder_decoder, plot_pipeline
from course.masks import CONVENTIONS, mask_to_allowed, plot_mask
from course.models import ModelNotInstalledError, load_bert, load_gpt, load_minilm, load_translator, minilm_path
from course.plots import plot_curves, plot_positional_encoding, plot_similarity
from course.text import TokenTable, show_tokens

__version__ = "0.1.0"

__all__ = [
    "CONVENTIONS",
    "ModelNotInstalledError",
    "TokenTable",
    "attention_explorer",
    "load_bert",
    "load_gpt",
    "load_minilm",
    "load_translator",
    "mask_to_allowed",
    "minilm_path",
    "plot_attention",
    "plot_attention_grid",
    "plot_curves",
    "plot_encoder_decoder",
    "plot_mask",
    "plot_pipeline",
    "plot_positional_encoding",
    "plot_similarity",
    "set_seed",
    "show_tokens",
    "widgets_available",
]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a notebook gives the same numbers on every run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
