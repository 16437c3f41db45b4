"""Small plotting helpers: labelled line plots and the positional-encoding picture."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course._validate import check_ndim, to_numpy


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
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
