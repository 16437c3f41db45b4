"""Unit tests of course.diagrams."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from course.diagrams import FLOW_POINTS, plot_encoder_decoder


def _texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_draws_the_stack_with_title_and_layer_count():
    ax = plot_encoder_decoder(n_layers=6, title="My stack")
    texts = _texts(ax)
    assert ax.get_title() == "My stack"
    assert "6 x" in texts and "x 6" in texts
    for block in ("self-attention", "masked self-attention", "cross-attention", "feed-forward", "softmax"):
        assert block in texts
    plt.close(ax.figure)


def test_annotations_are_written():
    shapes = {key: f"({i}, 3)" for i, key in enumerate(FLOW_POINTS)}
    ax = plot_encoder_decoder(shapes)
    texts = _texts(ax)
    assert all(value in texts for value in shapes.values())
    plt.close(ax.figure)


def test_draws_on_given_axes():
    fig, ax = plt.subplots()
    assert plot_encoder_decoder(ax=ax) is ax
    plt.close(fig)


def test_unknown_annotation_key_names_the_valid_ones():
    with pytest.raises(ValueError, match="memory"):
        plot_encoder_decoder({"encoder_output": "(2, 5, 8)"})


def test_annotation_values_must_be_strings():
    with pytest.raises(TypeError, match="strings"):
        plot_encoder_decoder({"memory": (2, 5, 8)})
