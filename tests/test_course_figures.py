"""Unit tests of the pipeline diagram (course.diagrams) and the similarity heatmap (course.plots)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course import plot_pipeline, plot_similarity


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_pipeline_draws_one_box_and_two_texts_per_stage():
    stages = [("text", "'The cat sat.'"), ("token ids", "(1, 6)"), ("vectors", "(1, 6, 384)")]
    ax = plot_pipeline(stages, title="MiniLM")
    assert ax.get_title() == "MiniLM"
    texts = [text.get_text() for text in ax.texts]
    for name, detail in stages:
        assert name in texts and detail in texts
    assert len(ax.patches) == 2 * len(stages) - 1  # boxes and the arrows between them


def test_pipeline_draws_on_given_axes():
    _, ax = plt.subplots()
    assert plot_pipeline([("a", "b")], ax=ax) is ax


@pytest.mark.parametrize("stages, error", [
    ([], ValueError),
    ([("text",)], TypeError),
    (["text"], TypeError),
    ([("text", 3)], TypeError),
])
def test_pipeline_rejects_bad_stages(stages, error):
    with pytest.raises(error, match="stages"):
        plot_pipeline(stages)


def test_similarity_labels_rows_with_text_and_columns_with_numbers():
    matrix = torch.tensor([[1.0, 0.2, -0.1], [0.2, 1.0, 0.5], [-0.1, 0.5, 1.0]])
    labels = ["The cat sat on the mat.", "A kitten rests.", "Markets fell."]
    ax = plot_similarity(matrix, labels, title="Sentences")
    assert ax.get_title() == "Sentences"
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{k + 1}: {s}" for k, s in enumerate(labels)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert "0.50" in [text.get_text() for text in ax.texts]  # annotated cells


def test_similarity_accepts_numpy_and_no_labels():
    ax = plot_similarity(np.eye(2), annotate=False)
    assert len(ax.texts) == 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2"]


def test_similarity_wraps_long_labels():
    ax = plot_similarity(np.eye(1), ["word " * 40], wrap=30)
    assert len(ax.get_yticklabels()[0].get_text()) <= 30


def test_similarity_rejects_bad_shapes_and_labels():
    with pytest.raises(ValueError, match=r"\(n, n\)"):
        plot_similarity(torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="square"):
        plot_similarity(torch.ones(2, 3))
    with pytest.raises(ValueError, match="labels"):
        plot_similarity(torch.eye(2), ["only one"])
    with pytest.raises(TypeError, match="matrix"):
        plot_similarity([[1.0]])
