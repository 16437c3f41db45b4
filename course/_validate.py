"""Input checks shared by the helpers: every error names the shape or type that was expected."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch



def to_numpy(x, name: str) -> np.ndarray:
    """Return ``x`` as a NumPy array (detached, on the CPU), or raise a ``TypeError`` naming ``name``."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{name} must be a torch.Tensor or a numpy.ndarray, got {type(x).__name__}")


def check_ndim(array: np.ndarray, ndim: int, name: str, expected: str, hint: str = "") -> None:
    """Raise a ``ValueError`` unless ``array`` has ``ndim`` dimensions; ``expected`` spells the shape."""
    if array.ndim != ndim:
        message = f"{name} must have shape {expected}, got shape {tuple(array.shape)}"
        raise ValueError(message + (f"; {hint}" if hint else ""))


def check_tokens(tokens: Sequence[str] | None, length: int, name: str, axis: str) -> list[str] | None:
    """Check that ``tokens`` (if given) has one label per position along ``axis``."""
    if tokens is None:
        return None
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"{name} must be a list of strings (one per token), got {tokens!r:.80}")
    if len(tokens) != length:
        raise ValueError(
            f"{name} has {len(tokens)} labels but the {axis} axis has {length} positions; "
            "pass one label per token"
        )
    return list(tokens)


def axis_labels(tokens: Sequence[str] | None, query_tokens: Sequence[str] | None, q_len: int,
                k_len: int) -> tuple[list[str] | None, list[str] | None]:
    """Checked ``(key_labels, query_labels)`` of a ``(q_len, k_len)`` map.

    The key labels serve for the queries too when the map is square and no query labels are given
    (self-attention).
    """
    key_labels = check_tokens(tokens, k_len, "tokens", "key (last)")
    if query_tokens is None and key_labels is not None and q_len == k_len:
        return key_labels, key_labels
    return key_labels, check_tokens(query_tokens, q_len, "query_tokens", "query (first)")
