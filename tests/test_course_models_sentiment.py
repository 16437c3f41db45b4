"""The course's sentiment classifier (``course.models.sentiment``, ``load_sentiment``): it loads offline, its files
and the MiniLM weights it was fitted on match the manifest, the manifest's held-out accuracy is reproduced, its
probabilities are well-formed, the model is one ``nn.Module`` (what quantisation and ONNX export need), and the
build command runs (a smoke build into a temporary folder).

Tolerance of the recomputed accuracy: 1 sentence of the split (the build ran on one thread, the tests may not:
float sums differ in the last bits, which can flip a sentence near the decision boundary).
"""

from __future__ import annotations

import functools
import hashlib

import pytest
import torch

import course
from course.models import CheckpointMissingError, build, common, loaders, sentiment


@functools.cache
def entry() -> dict:
    return loaders.manifest()["models"]["sentiment"]


@functools.cache
def model():
    return course.models.load_sentiment()


def test_files_match_the_manifest():
    folder = loaders.checkpoint_path("sentiment")
    on_disk = {path.name for path in folder.iterdir() if path.is_file()}
    assert on_disk == set(entry()["files"]) | {"README.md"}
    for name, expected in entry()["files"].items():
        data = (folder / name).read_bytes()
        assert len(data) == expected["bytes"] and hashlib.sha256(data).hexdigest() == expected["sha256"], name
    assert entry()["training"]["seed"] == 0 and entry()["data"]["seed"] == 0
    assert "--smoke" not in entry()["build"]["command"]
    assert entry()["total_bytes"] < 100_000, "only the head is shipped; MiniLM comes from its package"


def test_the_encoder_is_the_one_the_head_was_fitted_on():
    from course.models.minilm import minilm_path

    recorded = entry()["encoder"]["model.safetensors sha256"]
    assert common.sha256(minilm_path() / "model.safetensors") == recorded, (
        "MiniLM's weights differ from those the head was fitted on: rebuild with "
        "python -m course.models build sentiment")


def test_the_card_quotes_the_manifest():
    card = (loaders.checkpoint_path("sentiment") / "README.md").read_text()
    assert card.startswith("---\nlicense: mit") and "## Limits" in card and "## Intended use" in card
    assert entry()["build"]["command"] in card
    assert f"{100 * entry()['quality']['test']['accuracy']:.1f} %" in card


def test_loads_offline_as_one_module_and_gives_probabilities():
    classifier = model()
    assert isinstance(classifier, torch.nn.Module) and not classifier.training
    assert classifier.labels == ("negative", "positive")
    probabilities = classifier.predict_proba(["A wonderful, warm little film.", "Cold food and rude staff.", "ok"])
    assert probabilities.shape == (3, 2) and probabilities.dtype == torch.float32
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(3))
    assert probabilities[0, 1] > 0.5 > probabilities[1, 1]
    batch = classifier.tokenize(["good", "a much longer sentence about a hotel"])
    with torch.inference_mode():
        logits = classifier(**batch)
    assert logits.shape == (2, 2)
    assert sum(p.numel() for p in classifier.head.parameters()) == entry()["parameters"]


def test_padding_does_not_change_a_prediction():
    classifier = model()
    alone = classifier.predict_proba(["Not bad at all."])
    padded = classifier.predict_proba(["Not bad at all.", "A much, much longer sentence that forces padding."])
    torch.testing.assert_close(padded[:1], alone, atol=1e-5, rtol=0)


def test_held_out_accuracy_matches_the_manifest():
    data = sentiment.splits()
    for split in ("valid", "test"):
        pairs = getattr(data, split)
        recorded = entry()["quality"][split]
        assert recorded["n"] == len(pairs)
        assert sentiment.accuracy(model(), pairs) == pytest.approx(recorded["accuracy"], abs=1.01 / len(pairs))
    assert entry()["quality"]["test"]["accuracy"] >= 0.7


def test_the_pooling_is_a_masked_mean_that_ignores_padding():
    hidden = torch.randn(2, 4, 3)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    pooled = sentiment.pooling_module(3)({"token_embeddings": hidden, "attention_mask": mask})["sentence_embedding"]
    torch.testing.assert_close(pooled[0], hidden[0, :2].mean(0))
    torch.testing.assert_close(pooled[1], hidden[1].mean(0))


def test_a_missing_file_says_how_to_rebuild(tmp_path):
    (tmp_path / "sentiment").mkdir()
    (tmp_path / "sentiment" / "config.json").write_text("{}")
    with pytest.raises(CheckpointMissingError, match=r"model\.safetensors.*python -m course\.models build sentiment"):
        loaders.load_sentiment(root=tmp_path)


def test_smoke_build(tmp_path):
    built = build.build_one("sentiment", tmp_path, steps=50, smoke=True, log=lambda _: None)
    assert built["files"] == common.file_table(tmp_path / "sentiment")
    assert built["build"]["command"] == "python -m course.models build sentiment --steps 50 --smoke"
    classifier = loaders.load_sentiment(root=tmp_path)
    assert classifier.predict_proba(["fine"]).shape == (1, 2)
    assert common.read_manifest(tmp_path / "manifest.json")["models"]["sentiment"]["class"] == "SentimentClassifier"
