"""Small plotting helpers: labelled line plots and the positional-encoding picture."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course._validate import check_ndim, check_tokens, to_numpy


def plot_curves(
    x: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    logx: bool = False,
    logy: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Plot one or more named curves against the same ``x`` (timings, gradient norms, losses...).

    Every curve must have ``len(x)`` points; axis labels and a title are required so no figure is unlabelled.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if not curves:
        raise ValueError("curves is empty; pass at least one {name: values}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.shape != x.shape:
            raise ValueError(f"curve {name!r} has shape {values.shape}, expected {x.shape} (one value per x)")
        ax.plot(x, values, marker="o", markersize=3, label=name)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_positional_encoding(encoding, *, title: str = "Positional encoding") -> Figure:
    """Draw a ``(seq_len, d_model)`` positional encoding and the dot-product similarity between positions.

    Left: the encoding matrix (position x dimension). Right: ``encoding @ encoding.T``, which for a
    good encoding is largest on the diagonal and depends mostly on the distance between positions.
    """
    matrix = to_numpy(encoding, "encoding").astype(float)
    check_ndim(matrix, 2, "encoding", "(seq_len, d_model)",
               hint="drop the batch dimension first, e.g. encoding[0]" if matrix.ndim > 2 else "")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    image = left.imshow(matrix, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    left.set_xlabel("dimension")
    left.set_ylabel("position")
    left.set_title("encoding value")
    fig.colorbar(image, ax=left)
    similarity = matrix @ matrix.T
    image = right.imshow(similarity, cmap="viridis")
    right.set_xlabel("position")
    right.set_ylabel("position")
    right.set_title("dot product between positions")
    fig.colorbar(image, ax=right)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


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
        _, ax = plt.subplots(figsize=(min(10.0, max(5.0, 0.75 * n_items + 4.5)), max(4.0, 0.65 * n_items + 1.5)))
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
