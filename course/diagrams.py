"""Diagrams: a processing pipeline as a chain of boxes, and the encoder-decoder Transformer of Vaswani et al.
(2017), optionally annotated with shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Where each tensor of the diagram flows, and what it is: the keys accepted by ``annotations``.
FLOW_POINTS = {
    "src_tokens": "source token ids, e.g. (batch, src_len)",
    "src_embedded": "source embeddings + positions, e.g. (batch, src_len, d_model)",
    "memory": "encoder output read by every decoder layer's cross-attention",
    "tgt_tokens": "target token ids (shifted right), e.g. (batch, tgt_len)",
    "tgt_embedded": "target embeddings + positions",
    "decoder_output": "decoder output, one vector per target position",
    "logits": "scores over the vocabulary for every target position",
}

_STAGE_COLOURS = ["#fde2b3", "#e8eaf6", "#c7e3f5", "#f8c8c8", "#d9ead3", "#fce4ec"]
_ENCODER_X, _DECODER_X, _BOX_WIDTH = 2.6, 7.4, 3.2
_COLOURS = {
    "embed": "#fde2b3", "attn": "#f8c8c8", "cross": "#f4a3a3", "ffn": "#c7e3f5", "norm": "#eeeeee",
    "head": "#d9ead3", "frame": "#fafafa",
}


def _box(ax: Axes, x: float, y: float, text: str, colour: str, width: float = _BOX_WIDTH,
         height: float = 0.55) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.12", linewidth=1.0,
                                edgecolor="#555555", facecolor=colour))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], colour: str = "#333333") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, linewidth=1.2, color=colour))


def _label(ax: Axes, x: float, y: float, text: str | None, side: str) -> None:
    if text:
        ax.text(x, y, text, ha="left" if side == "right" else "right", va="center", fontsize=8,
                color="#1f4e79", family="monospace")


def plot_encoder_decoder(
    annotations: Mapping[str, str] | None = None,
    *,
    n_layers: int | str = "N",
    title: str = "The encoder-decoder Transformer",
    ax: Axes | None = None,
) -> Axes:
    """Draw the encoder-decoder Transformer (embeddings, N encoder layers, N decoder layers, linear, softmax).

    The encoder (left) turns the source into ``memory``; every decoder layer (right) reads that same
    ``memory`` through its cross-attention sub-layer (red arrow). Inside each layer every sub-layer is
    wrapped as ``LayerNorm(x + Sublayer(x))`` (post-norm, as in the paper).

    Args:
        annotations: optional text written next to the arrows, usually tensor shapes, keyed by the flow
            points of :data:`FLOW_POINTS`: ``"src_tokens"``, ``"src_embedded"``, ``"memory"``,
            ``"tgt_tokens"``, ``"tgt_embedded"``, ``"decoder_output"``, ``"logits"``. Any subset.
        n_layers: what to write in the "x N" of the layer frames (a number or a symbol).
        title: figure title.
        ax: axes to draw on; a new figure is made when ``None``.

    Returns:
        The matplotlib axes.
    """
    annotations = dict(annotations or {})
    unknown = sorted(set(annotations) - set(FLOW_POINTS))
    if unknown:
        raise ValueError(f"unknown annotation keys {unknown}; use any of {list(FLOW_POINTS)}")
    if not all(isinstance(value, str) for value in annotations.values()):
        raise TypeError("annotation values must be strings, e.g. {'memory': '(2, 7, 32)'}")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 7.5))
    ax.set_xlim(-1.2, 11.2)
    ax.set_ylim(-0.5, 11.2)
    ax.axis("off")
    ax.set_title(title)

    enc, dec = _ENCODER_X, _DECODER_X
    # Inputs and embeddings.
    ax.text(enc, 0.0, "source tokens", ha="center", va="center", fontsize=10, weight="bold")
    ax.text(dec, 0.0, "target tokens (shifted right)", ha="center", va="center", fontsize=10, weight="bold")
    for x in (enc, dec):
        _arrow(ax, (x, 0.25), (x, 0.95))
        _box(ax, x, 1.25, "token embedding + positions", _COLOURS["embed"])
        _arrow(ax, (x, 1.55), (x, 2.35))
    _label(ax, enc - 0.15, 0.6, annotations.get("src_tokens"), "left")
    _label(ax, dec + 0.15, 0.6, annotations.get("tgt_tokens"), "right")
    _label(ax, enc - 0.15, 1.95, annotations.get("src_embedded"), "left")
    _label(ax, dec + 0.15, 1.95, annotations.get("tgt_embedded"), "right")

    # Encoder layer frame.
    frame_width = _BOX_WIDTH + 0.8
    ax.add_patch(FancyBboxPatch((enc - frame_width / 2, 2.4), frame_width, 3.1,
                                boxstyle="round,pad=0.05,rounding_size=0.2", linewidth=1.4,
                                edgecolor="#888888", facecolor=_COLOURS["frame"]))
    ax.text(enc - frame_width / 2 - 0.1, 3.95, f"{n_layers} x", ha="right", va="center", fontsize=11,
            weight="bold")
    _box(ax, enc, 2.95, "self-attention", _COLOURS["attn"])
    _box(ax, enc, 3.65, "add & norm", _COLOURS["norm"], height=0.4)
    _box(ax, enc, 4.35, "feed-forward", _COLOURS["ffn"])
    _box(ax, enc, 5.05, "add & norm", _COLOURS["norm"], height=0.4)
    for y0, y1 in ((3.22, 3.45), (3.85, 4.07), (4.62, 4.85)):
        _arrow(ax, (enc, y0), (enc, y1))
    ax.text(enc, 5.75, "encoder", ha="center", va="center", fontsize=10, style="italic")

    # Memory: up from the encoder and across to every decoder layer's cross-attention.
    turn_x = (enc + dec) / 2
    ax.plot([enc, enc, turn_x, turn_x], [5.5, 7.3, 7.3, 4.35], color="#c0392b", linewidth=1.4)
    _arrow(ax, (turn_x, 4.35), (dec - _BOX_WIDTH / 2 - 0.02, 4.35), colour="#c0392b")
    ax.text(enc - 0.15, 6.95, "memory", ha="right", va="center", fontsize=10, weight="bold", color="#c0392b")
    ax.text(enc + 0.15, 7.4, "keys and values of every\ndecoder layer's cross-attention", ha="left",
            va="bottom", fontsize=8, color="#c0392b")
    _label(ax, enc - 0.15, 6.4, annotations.get("memory"), "left")

    # Decoder layer frame.
    ax.add_patch(FancyBboxPatch((dec - frame_width / 2, 2.4), frame_width, 4.5,
                                boxstyle="round,pad=0.05,rounding_size=0.2", linewidth=1.4,
                                edgecolor="#888888", facecolor=_COLOURS["frame"]))
    ax.text(dec + frame_width / 2 + 0.1, 4.65, f"x {n_layers}", ha="left", va="center", fontsize=11,
            weight="bold")
    _box(ax, dec, 2.95, "masked self-attention", _COLOURS["attn"])
    _box(ax, dec, 3.65, "add & norm", _COLOURS["norm"], height=0.4)
    _box(ax, dec, 4.35, "cross-attention", _COLOURS["cross"])
    _box(ax, dec, 5.05, "add & norm", _COLOURS["norm"], height=0.4)
    _box(ax, dec, 5.75, "feed-forward", _COLOURS["ffn"])
    _box(ax, dec, 6.45, "add & norm", _COLOURS["norm"], height=0.4)
    for y0, y1 in ((3.22, 3.45), (3.85, 4.07), (4.62, 4.85), (5.25, 5.47), (6.02, 6.25)):
        _arrow(ax, (dec, y0), (dec, y1))
    ax.text(dec + frame_width / 2 + 0.1, 6.6, "decoder", ha="left", va="center", fontsize=10, style="italic")

    # Output head.
    _arrow(ax, (dec, 6.95), (dec, 7.75))
    _label(ax, dec + 0.15, 7.35, annotations.get("decoder_output"), "right")
    _box(ax, dec, 8.05, "linear (d_model -> vocab)", _COLOURS["head"])
    _arrow(ax, (dec, 8.35), (dec, 9.15))
    _label(ax, dec + 0.15, 8.75, annotations.get("logits"), "right")
    _box(ax, dec, 9.45, "softmax", _COLOURS["head"])
    _arrow(ax, (dec, 9.75), (dec, 10.45))
    ax.text(dec, 10.75, "next-token probabilities", ha="center", va="center", fontsize=10, weight="bold")
    ax.text(enc, 9.3, "Each sub-layer:\nx <- LayerNorm(x + Sublayer(x))\n(the residual stream)",
            ha="center", va="center", fontsize=9, color="#555555")
    return ax


def plot_pipeline(
    stages: Sequence[tuple[str, str]],
    *,
    title: str = "From text to prediction",
    ax: Axes | None = None,
) -> Axes:
    """Draw a left-to-right chain of boxes joined by arrows, one box per processing stage.

    Args:
        stages: ``(name, detail)`` pairs of strings, in order, e.g. ``[("text", "'The cat sat.'"),
            ("token ids", "(1, 6)"), ...]``. ``name`` is written in bold inside the box, ``detail``
            (a tensor shape, an example) below it; use ``"\\n"`` for a line break.
        title: figure title.
        ax: axes to draw on; a new figure is made when ``None``.

    Returns:
        The matplotlib axes (no data axes: the frame is switched off).
    """
    stages = list(stages)
    if not stages:
        raise ValueError("stages is empty; pass at least one (name, detail) pair")
    for index, stage in enumerate(stages):
        if (not isinstance(stage, (tuple, list)) or len(stage) != 2
                or not all(isinstance(part, str) for part in stage)):
            raise TypeError(f"stages[{index}] must be a (name, detail) pair of strings, got {stage!r:.80}")
    n_stages = len(stages)
    width, gap, height = 2.6, 0.6, 1.6
    if ax is None:
        _, ax = plt.subplots(figsize=(min(10.0, max(6.0, 2.7 * n_stages)), 2.8))
    ax.set_xlim(-0.2, n_stages * (width + gap) - gap + 0.2)
    ax.set_ylim(-0.3, height + 0.3)
    ax.axis("off")
    ax.set_title(title)
    for index, (name, detail) in enumerate(stages):
        left = index * (width + gap)
        ax.add_patch(FancyBboxPatch((left, 0), width, height, boxstyle="round,pad=0.02,rounding_size=0.15",
                                    linewidth=1.0, edgecolor="#555555",
                                    facecolor=_STAGE_COLOURS[index % len(_STAGE_COLOURS)]))
        ax.text(left + width / 2, height * 0.72, name, ha="center", va="center", fontsize=10, weight="bold")
        ax.text(left + width / 2, height * 0.34, detail, ha="center", va="center", fontsize=8,
                family="monospace", color="#1f4e79")
        if index + 1 < n_stages:
            ax.add_patch(FancyArrowPatch((left + width + 0.05, height / 2), (left + width + gap - 0.05, height / 2),
                                         arrowstyle="-|>", mutation_scale=14, linewidth=1.4, color="#333333"))
    return ax
