"""Overview figures: a model's processing pipeline as a chain of boxes, and a labelled similarity heatmap."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course._validate import check_ndim, check_tokens, to_numpy

_STAGE_COLOURS = ["#fde2b3", "#e8eaf6", "#c7e3f5", "#f8c8c8", "#d9ead3", "#fce4ec"]


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
    width, gap, height = 2.0, 0.7, 1.6
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 2.2 * n_stages), 2.8))
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


def plot_similarity(
    matrix,
    labels: Sequence[str] | None = None,
    *,
    title: str = "Cosine similarity",
    ax: Axes | None = None,
    vmin: float = -1.0,
    vmax: float = 1.0,
    annotate: bool = True,
    wrap: int = 45,
) -> Axes:
    """Draw an ``(n, n)`` similarity matrix as an annotated heatmap, items labelled on both axes.

    Rows are labelled ``"k: label"`` (wrapped at ``wrap`` characters), columns by the number ``k`` alone,
    so long sentences stay readable.

    Args:
        matrix: ``(n, n)`` tensor or array of similarities, e.g. cosine similarities in ``[-1, 1]``.
        labels: ``n`` strings (sentences, words), one per row and column.
        title: figure title.
        ax: axes to draw on; a new figure is made when ``None``.
        vmin, vmax: colour scale (a diverging map centred on 0 for the default ``[-1, 1]``).
        annotate: write each value in its cell.
        wrap: width at which row labels are wrapped.

    Returns:
        The matplotlib axes.
    """
    array = to_numpy(matrix, "matrix").astype(float)
    check_ndim(array, 2, "matrix", "(n, n)")
    if array.shape[0] != array.shape[1]:
        raise ValueError(f"matrix must be square (n, n), one row and one column per item; got {array.shape}")
    n_items = array.shape[0]
    labels = check_tokens(labels, n_items, "labels", "row and column")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.75 * n_items + 4.5), max(4.0, 0.65 * n_items + 1.5)))
    image = ax.imshow(array, cmap="RdBu_r", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(n_items))
    ax.set_yticks(range(n_items))
    ax.set_xticklabels([str(k + 1) for k in range(n_items)])
    if labels is not None:
        ax.set_yticklabels([textwrap.shorten(f"{k + 1}: {label}", width=wrap, placeholder="...")
                            for k, label in enumerate(labels)], fontsize=9)
    else:
        ax.set_yticklabels([str(k + 1) for k in range(n_items)])
    ax.set_xlabel("item")
    ax.set_ylabel("item")
    ax.set_title(title)
    if annotate:
        for i in range(n_items):
            for j in range(n_items):
                strong = abs(array[i, j]) > 0.6 * max(abs(vmin), abs(vmax))
                ax.text(j, i, f"{array[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if strong else "black")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="similarity")
    return ax


__all__ = ["plot_pipeline", "plot_similarity"]
