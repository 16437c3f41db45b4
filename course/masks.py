"""The mask viewer: boolean or additive attention masks with token labels and a legend stating the convention."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from course._validate import axis_labels, check_ndim, to_numpy

CONVENTIONS = {
    "allowed": "True = may attend",   # torch.nn.functional.scaled_dot_product_attention, HF attention_mask=1
    "blocked": "True = blocked",      # nn.MultiheadAttention / nn.Transformer* attn_mask, key_padding_mask
    "additive": "0 = may attend, -inf = blocked",  # float masks added to the scores
}
_SHARED_LEGEND_ID = "course-mask-legend"  # marks the one figure legend that plot_mask adds to a caller's figure
ALLOWED_COLOUR = "#2a9d8f"
BLOCKED_COLOUR = "#e9e9e9"
BLOCKED_THRESHOLD = -1e4  # additive values at or below this count as "blocked" (e.g. torch.finfo.min)


def mask_to_allowed(mask, convention: str) -> np.ndarray:
    """Return a boolean array that is True where attention is allowed, whatever the mask's convention.

    Args:
        mask: a boolean (``"allowed"`` / ``"blocked"``) or float (``"additive"``) tensor or array.
        convention: ``"allowed"`` (True = may attend), ``"blocked"`` (True = blocked) or ``"additive"``
            (0 = may attend, ``-inf`` or a large negative number = blocked).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    array = to_numpy(mask, "mask")
    if convention in ("allowed", "blocked"):
        if array.dtype != np.bool_:
            raise TypeError(
                f"a mask with convention={convention!r} must be boolean, got dtype {array.dtype}; "
                "for a float mask that is added to the scores use convention='additive'"
            )
        return array.copy() if convention == "allowed" else ~array
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"an additive mask must be a float tensor, got dtype {array.dtype}; "
                        "for a boolean mask use convention='allowed' or 'blocked'")
    blocked = array <= BLOCKED_THRESHOLD
    odd = ~blocked & (array != 0)
    if odd.any():
        raise ValueError(
            "an additive mask holds 0 (may attend) or -inf / a large negative number (blocked); "
            f"found other values such as {array[odd].flat[0]:g}"
        )
    return ~blocked


def plot_mask(
    mask,
    tokens: Sequence[str] | None = None,
    query_tokens: Sequence[str] | None = None,
    *,
    convention: str,
    title: str = "Attention mask",
    ax: Axes | None = None,
    xlabel: str = "key (attended to)",
    ylabel: str = "query (attending)",
) -> Axes:
    """Draw a 2-D mask: coloured cells may attend, grey cells are blocked; the legend states the convention.

    A figure made here gets the legend on the right; on axes passed in, the figure gets one legend below it
    (shared by all panels, whose titles state their conventions), so that it keeps the width it was given.

    Args:
        mask: ``(q_len, k_len)`` boolean or float mask (for a batch of padding masks, ``(batch, k_len)``
            with ``ylabel="sentence"``).
        tokens: ``k_len`` column labels; used for the rows too when the mask is square and
            ``query_tokens`` is ``None``.
        query_tokens: ``q_len`` row labels.
        convention: ``"allowed"`` (True = may attend, as in ``scaled_dot_product_attention``),
            ``"blocked"`` (True = blocked, as in ``nn.MultiheadAttention``) or ``"additive"``
            (0 = may attend, ``-inf`` = blocked). Required: a boolean mask means nothing without it.
        title, ax, xlabel, ylabel: as in matplotlib.

    Rows in which every key is blocked are flagged: softmax over them gives NaN.
    """
    allowed = mask_to_allowed(mask, convention)
    check_ndim(allowed, 2, "mask", "(q_len, k_len)",
               hint="select one batch element (and head) first, e.g. mask[0]" if allowed.ndim > 2 else "")
    q_len, k_len = allowed.shape
    key_labels, query_labels = axis_labels(tokens, query_tokens, q_len, k_len)

    created = ax is None
    if created:
        size = min(7.0, max(3.5, 0.4 * max(q_len, k_len) + 1.5))  # with the legend: at most 10 in wide
        _, ax = plt.subplots(figsize=(size + 2.4, size))
    ax.imshow(allowed.astype(int), cmap=ListedColormap([BLOCKED_COLOUR, ALLOWED_COLOUR]), vmin=0, vmax=1,
              aspect="auto")
    ax.set_xticks(np.arange(-0.5, k_len), minor=True)
    ax.set_yticks(np.arange(-0.5, q_len), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.set_xticks(range(k_len))
    ax.set_yticks(range(q_len))
    if key_labels is not None:
        ax.set_xticklabels(key_labels, rotation=90)
    if query_labels is not None:
        ax.set_yticklabels(query_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n({CONVENTIONS[convention]})")

    value_names = {"allowed": ("True", "False"), "blocked": ("False", "True"), "additive": ("0", "-inf")}
    allowed_value, blocked_value = value_names[convention]
    handles = [Patch(color=ALLOWED_COLOUR, label=f"may attend ({allowed_value})"),
               Patch(facecolor=BLOCKED_COLOUR, edgecolor="grey", label=f"blocked ({blocked_value})")]
    for row in np.flatnonzero(~allowed.any(axis=1)):
        ax.text((k_len - 1) / 2, row, "all blocked: softmax gives NaN", color="crimson", fontsize=8,
                ha="center", va="center")  # written inside the (grey) row, clear of the legend
    if created:
        ax.legend(handles=handles, title=f"Convention: {CONVENTIONS[convention]}", loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), fontsize=8, title_fontsize=8)
    elif not any(legend.get_gid() == _SHARED_LEGEND_ID for legend in ax.figure.legends):
        # On axes the caller made: one legend for the whole figure, below it, so that the figure keeps the
        # width it was given; with several panels each title states its own convention.
        single = len(ax.figure.axes) == 1
        shared = handles if single else [Patch(color=ALLOWED_COLOUR, label="may attend"),
                                         Patch(facecolor=BLOCKED_COLOUR, edgecolor="grey", label="blocked")]
        legend = ax.figure.legend(handles=shared, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, fontsize=9,
                                  title=f"Convention: {CONVENTIONS[convention]}" if single else None, title_fontsize=9)
        legend.set_gid(_SHARED_LEGEND_ID)
    return ax
