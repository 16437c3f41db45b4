"""Attention maps: one head as a heatmap, a layers x heads grid, and an interactive explorer."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course._validate import axis_labels, check_ndim, check_tokens, to_numpy


# A notebook column shows about 10 inches of a figure at 100 % zoom; wider figures are shrunk, text included.
MAX_WIDTH_INCHES = 10.0

def plot_attention(
    weights,
    tokens: Sequence[str] | None = None,
    query_tokens: Sequence[str] | None = None,
    *,
    title: str = "Attention weights",
    ax: Axes | None = None,
    vmin: float | None = 0.0,
    vmax: float | None = None,
    colorbar: bool = True,
    annotate: bool = False,
) -> Axes:
    """Draw one attention map as a heatmap with token labels.

    Args:
        weights: ``(q_len, k_len)`` tensor or array; row ``i`` holds how much query ``i`` attends to
            each key. Pick one batch element and head first, e.g. ``attentions[layer][0, head]``.
        tokens: ``k_len`` key labels. Also used for the queries when ``query_tokens`` is ``None`` and
            the map is square (self-attention).
        query_tokens: ``q_len`` query labels (cross-attention, where queries and keys differ).
        title: figure title.
        ax: axes to draw on; a new figure is made when ``None``.
        vmin, vmax: colour scale; pass the same values to compare several maps.
        colorbar: add a colour bar.
        annotate: write each weight in its cell (useful for small maps).

    Returns:
        The matplotlib axes.
    """
    array = to_numpy(weights, "weights").astype(float)
    check_ndim(
        array, 2, "weights", "(q_len, k_len)",
        hint="select one batch element and one head first, e.g. weights[0, head]" if array.ndim > 2 else "",
    )
    q_len, k_len = array.shape
    key_labels, query_labels = axis_labels(tokens, query_tokens, q_len, k_len)

    if ax is None:
        size = min(8.5, max(3.5, 0.45 * max(q_len, k_len) + 1.5))  # with the colour bar: at most 10 in wide
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(array, cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    _set_ticks(ax, key_labels, query_labels, k_len, q_len)
    if annotate:
        threshold = (np.nanmax(array) + np.nanmin(array)) / 2
        for i in range(q_len):
            for j in range(k_len):
                colour = "black" if array[i, j] > threshold else "white"
                ax.text(j, i, f"{array[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="weight")
    return ax


def _set_ticks(ax: Axes, x_labels, y_labels, n_x: int, n_y: int, fontsize: int = 9) -> None:
    ax.set_xticks(range(n_x))
    ax.set_yticks(range(n_y))
    if x_labels is not None:
        ax.set_xticklabels(x_labels, rotation=90, fontsize=fontsize)
    if y_labels is not None:
        ax.set_yticklabels(y_labels, fontsize=fontsize)


def _stack_attentions(attentions, batch_index: int) -> np.ndarray:
    """Turn Hugging Face ``output.attentions`` (or a 4-D array) into ``(layers, heads, q_len, k_len)``."""
    if isinstance(attentions, (tuple, list)):
        if not attentions:
            raise ValueError("attentions is empty; run the model with output_attentions=True")
        per_layer = [to_numpy(a, f"attentions[{i}]") for i, a in enumerate(attentions)]
        for i, layer in enumerate(per_layer):
            check_ndim(layer, 4, f"attentions[{i}]", "(batch, heads, q_len, k_len)")
        if not 0 <= batch_index < per_layer[0].shape[0]:
            raise IndexError(f"batch_index {batch_index} is out of range for batch size {per_layer[0].shape[0]}")
        return np.stack([layer[batch_index] for layer in per_layer])
    array = to_numpy(attentions, "attentions")
    check_ndim(
        array, 4, "attentions", "(layers, heads, q_len, k_len), or a tuple of (batch, heads, q_len, k_len)",
    )
    return array


def plot_attention_grid(
    attentions,
    tokens: Sequence[str] | None = None,
    *,
    layers: Sequence[int] | None = None,
    heads: Sequence[int] | None = None,
    batch_index: int = 0,
    title: str = "Attention maps (rows: layers, columns: heads)",
    cell_size: float = 1.6,
) -> Figure:
    """Draw a layers x heads grid of attention maps with one shared colour scale.

    Args:
        attentions: the ``attentions`` tuple of a Hugging Face model output (one ``(batch, heads, q_len,
            k_len)`` tensor per layer), or one ``(layers, heads, q_len, k_len)`` tensor.
        tokens: ``k_len`` labels, drawn on the left column and bottom row.
        layers, heads: which layers and heads to show (all by default).
        batch_index: which sentence of the batch to draw.
        title: figure title.
        cell_size: size of one map in inches (smaller when the grid would be wider than 10 inches).

    Returns:
        The matplotlib figure. All maps share ``vmin=0`` and ``vmax`` = the largest weight shown, so
        colours can be compared across heads.
    """
    stacked = _stack_attentions(attentions, batch_index)  # (layers, heads, q_len, k_len)
    n_layers, n_heads, q_len, k_len = stacked.shape
    layers = list(range(n_layers)) if layers is None else list(layers)
    heads = list(range(n_heads)) if heads is None else list(heads)
    for name, chosen, limit in (("layers", layers, n_layers), ("heads", heads, n_heads)):
        bad = [i for i in chosen if not 0 <= i < limit]
        if bad:
            raise IndexError(f"{name} {bad} out of range: the model has {limit} {name}")
    labels = check_tokens(tokens, k_len, "tokens", "key (last)")
    shown = stacked[np.ix_(layers, heads)]
    vmax = float(shown.max())

    cell_size = min(cell_size, (MAX_WIDTH_INCHES - 1.2) / len(heads))  # the grid fits the notebook column
    fig, axes = plt.subplots(
        len(layers), len(heads), figsize=(cell_size * len(heads) + 1.2, cell_size * len(layers) + 0.8),
        squeeze=False, sharex=True, sharey=True,
    )
    image = None
    for row, layer in enumerate(layers):
        for col, head in enumerate(heads):
            ax = axes[row, col]
            image = ax.imshow(stacked[layer, head], cmap="viridis", vmin=0.0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"head {head}", fontsize=9)
            if col == 0:
                ax.set_ylabel(f"layer {layer}", fontsize=9)
    if labels is not None and len(labels) <= 24:
        fontsize = 7 if len(labels) > 12 else 8
        for ax in axes[-1]:
            ax.set_xticks(range(k_len))
            ax.set_xticklabels(labels, rotation=90, fontsize=fontsize)
        for ax in axes[:, 0]:
            ax.set_yticks(range(q_len))
            ax.set_yticklabels(labels if q_len == k_len else range(q_len), fontsize=fontsize)
    fig.suptitle(title)
    fig.colorbar(image, ax=axes, fraction=0.02, pad=0.02, label="weight (shared scale)")
    return fig


def widgets_available() -> bool:
    """True when a notebook front end can draw ipywidgets.

    Widgets need a live front end: JupyterLab / Notebook (their kernels get ``JPY_SESSION_NAME``),
    Colab or VS Code. nbval, nbconvert, nbgrader and plain scripts run without one, so the helpers
    fall back to static figures there. Set ``COURSE_STATIC_FIGURES=1`` to force static figures.
    """
    if os.environ.get("COURSE_STATIC_FIGURES") == "1":
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    return (
        "JPY_SESSION_NAME" in os.environ
        or "google.colab" in sys.modules
        or "VSCODE_PID" in os.environ
    )


def attention_explorer(model, tokenizer, sentence: str, *, layer: int = 0, head: int = 0,
                       interactive: bool | None = None):
    """Explore a model's attention: choose layer and head, type a sentence, the map redraws.

    Args:
        model: a Hugging Face encoder loaded with ``attn_implementation="eager"`` (e.g. from
            :func:`course.load_minilm`), so that it returns attention weights.
        tokenizer: its tokenizer.
        sentence: the first sentence to show.
        layer, head: the first map to show.
        interactive: ``True`` for widgets, ``False`` for one static figure, ``None`` to decide from
            :func:`widgets_available` (static under nbval, nbconvert, nbgrader and scripts).

    Returns:
        The ipywidgets box (interactive) or the matplotlib axes (static).
    """
    n_layers = model.config.num_hidden_layers
    n_heads = model.config.num_attention_heads
    for name, value, limit in (("layer", layer, n_layers), ("head", head, n_heads)):
        if not 0 <= value < limit:
            raise IndexError(f"{name}={value} is out of range: the model has {limit} {name}s (0..{limit - 1})")

    def attention_for(text: str):
        encoded = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            output = model(**encoded, output_attentions=True)
        if output.attentions is None or output.attentions[0] is None:
            raise RuntimeError(
                "the model returned no attention weights; load it with attn_implementation='eager'"
            )
        tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
        return output.attentions, tokens

    def draw(text: str, chosen_layer: int, chosen_head: int, ax: Axes | None = None) -> Axes:
        attentions, tokens = attention_for(text)
        return plot_attention(
            attentions[chosen_layer][0, chosen_head], tokens, ax=ax,
            title=f"{type(model).__name__}: layer {chosen_layer}, head {chosen_head}",
        )

    if interactive is None:
        interactive = widgets_available()
    if not interactive:
        return draw(sentence, layer, head)

    import ipywidgets as widgets
    from IPython.display import display

    text_box = widgets.Text(value=sentence, description="Sentence", continuous_update=False,
                            layout=widgets.Layout(width="70%"))
    layer_picker = widgets.Dropdown(options=list(range(n_layers)), value=layer, description="Layer")
    head_picker = widgets.Dropdown(options=list(range(n_heads)), value=head, description="Head")
    output = widgets.Output()

    def redraw(_change=None) -> None:
        with output:
            output.clear_output(wait=True)
            draw(text_box.value, layer_picker.value, head_picker.value)
            plt.show()

    for control in (text_box, layer_picker, head_picker):
        control.observe(redraw, names="value")
    box = widgets.VBox([text_box, widgets.HBox([layer_picker, head_picker]), output])
    redraw()
    display(box)
    return box
