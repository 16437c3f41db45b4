"""Recipe of the course's masked language model: a small ``BertForMaskedLM`` pre-trained on generated stories.

Data: the texts of :func:`course.data.stories.story_splits`, as for the GPT. Tokenizer: an uncased
WordPiece (``tokenizers``) trained on the training texts, with ``[PAD]`` = 0, ``[UNK]`` = 1, ``[CLS]`` = 2,
``[SEP]`` = 3, ``[MASK]`` = 4 and the usual ``[CLS] text [SEP]`` framing. Training: the masked-LM objective as
``transformers.DataCollatorForLanguageModeling`` applies it (15 % of the tokens, 80 % of them replaced by
``[MASK]``, 10 % by a random token, 10 % kept), seeded.
Quality: masked-token accuracy on the test texts: the same collator with a fixed seed chooses 15 % of the
tokens and replaces them all by ``[MASK]``; accuracy = share of them whose arg-max prediction is the original.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.models import common

NAME = "bert"
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_LENGTH = 128
DATA = {
    "function": "course.data.stories.story_splits",
    "n_train": 20000,
    "n_valid": 500,
    "n_test": 500,
    "seed": 0,
}
TOKENIZER = {"kind": "uncased WordPiece (tokenizers)", "vocab_size": 2048, "min_frequency": 2}
ARCHITECTURE = {
    "hidden_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 512,
    "max_position_embeddings": MAX_LENGTH,
}
TRAINING = {
    "steps": 1600,
    "batch_size": 32,
    "lr": 2e-3,
    "warmup": 80,
    "weight_decay": 0.01,
    "mlm_probability": 0.15,
    "dropout": 0.0,
}
EVAL_SEED = 1234  # seed of the evaluation masks
SAMPLE_SIZE = 100  # test texts the unit tests re-score


def splits(smoke: bool = False):
    from course.data.stories import story_splits

    return common.data_splits(DATA, story_splits, smoke)


def build_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=TOKENIZER["vocab_size"],
        min_frequency=TOKENIZER["min_frequency"],
        special_tokens=list(SPECIALS),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_LENGTH,
    )


def build_model(tokenizer, seed: int):
    from transformers import BertConfig, BertForMaskedLM

    common.set_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        **ARCHITECTURE,
        type_vocab_size=2,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=TRAINING["dropout"],
        attention_probs_dropout_prob=TRAINING["dropout"],
        tie_word_embeddings=True,
    )
    return BertForMaskedLM(config)


def collator(tokenizer, seed: int, evaluation: bool = False):
    from transformers import DataCollatorForLanguageModeling

    if evaluation:  # every chosen token becomes [MASK]
        return DataCollatorForLanguageModeling(
            tokenizer,
            mlm_probability=TRAINING["mlm_probability"],
            mask_replace_prob=1.0,
            random_replace_prob=0.0,
            seed=seed,
        )
    return DataCollatorForLanguageModeling(tokenizer, mlm_probability=TRAINING["mlm_probability"], seed=seed)


def features(tokenizer, texts: list[str]) -> list[dict]:
    encoded = tokenizer(texts, truncation=True, max_length=MAX_LENGTH, return_special_tokens_mask=True)
    return [{key: encoded[key][i] for key in encoded} for i in range(len(texts))]


@torch.no_grad()
def masked_accuracy(model, tokenizer, texts: list[str], batch_size: int = 50, seed: int = EVAL_SEED) -> dict:
    """Share of masked tokens (15 %, chosen by a collator seeded with ``seed``) that the model restores."""
    masker = collator(tokenizer, seed, evaluation=True)
    model.eval()
    correct = total = 0
    for start in range(0, len(texts), batch_size):
        batch = masker(features(tokenizer, texts[start : start + batch_size]))
        labels = batch.pop("labels")
        logits = model(**batch).logits
        chosen = labels != -100
        correct += int((logits.argmax(-1)[chosen] == labels[chosen]).sum())
        total += int(chosen.sum())
    return {"masked_accuracy": correct / total, "masked_tokens": total}


def build(out: Path, steps: int | None = None, seed: int = 0, log=print, smoke: bool = False) -> dict:
    """Train the tokenizer and the model, save them in ``out``, return the manifest entry (without files)."""
    steps = TRAINING["steps"] if steps is None else steps
    data = splits(smoke)
    tokenizer = build_tokenizer(data.train)
    log(f"  tokenizer: {len(tokenizer)} tokens")
    train_features = features(tokenizer, data.train)
    model = build_model(tokenizer, seed)
    generator = torch.Generator().manual_seed(seed)
    masker = collator(tokenizer, seed)
    batch_size = TRAINING["batch_size"]

    def next_batch(step: int) -> dict:
        indices = torch.randint(0, len(train_features), (batch_size,), generator=generator).tolist()
        return dict(masker([train_features[i] for i in indices]))

    losses = common.train(
        model,
        next_batch,
        steps,
        TRAINING["lr"],
        min(TRAINING["warmup"], max(1, steps // 10)),
        weight_decay=TRAINING["weight_decay"],
        log=log,
        log_every=100,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    quality = {
        "test": masked_accuracy(model, tokenizer, data.test),
        f"test_first_{SAMPLE_SIZE}": masked_accuracy(model, tokenizer, data.test[:SAMPLE_SIZE]),
    }
    return {
        "class": "BertForMaskedLM",
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "data": {**DATA, **(common.SMOKE_DATA if smoke else {})},
        "tokenizer": TOKENIZER,
        "architecture": ARCHITECTURE,
        "training": {
            **TRAINING,
            "steps": steps,
            "seed": seed,
            "final_loss": sum(losses[-20:]) / len(losses[-20:]),
        },
        "quality": quality,
        "quality_metric": f"masked-token accuracy: 15 % of the test tokens (collator seed {EVAL_SEED}) all "
        "replaced by [MASK], arg-max prediction compared with the original token",
    }


def card_values(entry: dict) -> dict:
    return {
        "parameters": f"{entry['parameters'] / 1e6:.2f} M",
        "vocab": entry["vocab_size"],
        "steps": entry["training"]["steps"],
        "accuracy": f"{100 * entry['quality']['test']['masked_accuracy']:.1f}",
        **ARCHITECTURE,
        "n_train": DATA["n_train"],
    }
