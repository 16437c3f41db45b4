"""Recipe of the course's causal language model: a small ``GPT2LMHeadModel`` pre-trained on generated stories.

Data: :func:`course.data.stories.story_splits` (short English stories and place descriptions). Tokenizer: a
byte-level BPE trained with ``tokenizers`` on the training texts, with ``<|endoftext|>`` (id 0) as the
beginning / end of a text and a distinct ``<|pad|>`` (id 1). Training: texts joined as
``<|endoftext|> text <|endoftext|> text ...`` and cut into random windows of ``CONTEXT`` tokens.
Quality: perplexity on the test texts, each scored on its own as ``<|endoftext|> text <|endoftext|>``
(the final end token is predicted and counted, the first one is not).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from course.models import common

NAME = "gpt"
EOS, PAD = "<|endoftext|>", "<|pad|>"
CONTEXT = 256
DATA = {
    "function": "course.data.stories.story_splits",
    "n_train": 20000,
    "n_valid": 500,
    "n_test": 500,
    "seed": 0,
}
TOKENIZER = {"kind": "byte-level BPE (tokenizers)", "vocab_size": 2048, "min_frequency": 2}
ARCHITECTURE = {"n_embd": 128, "n_layer": 4, "n_head": 4, "n_positions": CONTEXT}
TRAINING = {"steps": 600, "batch_size": 8, "lr": 2e-3, "warmup": 40, "weight_decay": 0.01}
SAMPLE_SIZE = 100  # test texts the unit tests re-score


def splits(smoke: bool = False):
    from course.data.stories import story_splits

    return common.data_splits(DATA, story_splits, smoke)


def build_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER["vocab_size"],
        min_frequency=TOKENIZER["min_frequency"],
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=EOS,
        eos_token=EOS,
        unk_token=EOS,
        pad_token=PAD,
        model_max_length=CONTEXT,
    )


def build_model(tokenizer, seed: int):
    from transformers import GPT2Config, GPT2LMHeadModel

    common.set_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_ctx=CONTEXT,
        **ARCHITECTURE,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
    )
    return GPT2LMHeadModel(config)


def generation_config(tokenizer):
    from transformers import GenerationConfig

    return GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        max_new_tokens=128,
        do_sample=False,
    )


@torch.no_grad()
def perplexity(model, tokenizer, texts: list[str], batch_size: int = 50) -> dict[str, float]:
    """Per-token perplexity of ``texts``, each scored alone as ``<eos> text <eos>``."""
    eos, total_nll, total_tokens = tokenizer.eos_token_id, 0.0, 0
    model.eval()
    for start in range(0, len(texts), batch_size):
        rows = [
            [eos, *tokenizer(text)["input_ids"][: CONTEXT - 2], eos]
            for text in texts[start : start + batch_size]
        ]
        width = max(map(len, rows))
        input_ids = torch.full((len(rows), width), tokenizer.pad_token_id)
        labels = torch.full((len(rows), width), -100)
        for index, row in enumerate(rows):
            input_ids[index, : len(row)] = torch.tensor(row)
            labels[index, : len(row)] = torch.tensor(row)
        logits = model(input_ids=input_ids, attention_mask=(labels != -100).long()).logits
        nll = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
            labels[:, 1:].reshape(-1),
            ignore_index=-100,
            reduction="sum",
        )
        total_nll += nll.item()
        total_tokens += int((labels[:, 1:] != -100).sum())
    return {"perplexity": math.exp(total_nll / total_tokens), "tokens": total_tokens}


def build(out: Path, steps: int | None = None, seed: int = 0, log=print, smoke: bool = False) -> dict:
    """Train the tokenizer and the model, save them in ``out``, return the manifest entry (without files)."""
    steps = TRAINING["steps"] if steps is None else steps
    data = splits(smoke)
    tokenizer = build_tokenizer(data.train)
    log(f"  tokenizer: {len(tokenizer)} tokens")
    stream: list[int] = []
    for encoding in tokenizer.backend_tokenizer.encode_batch(data.train):
        stream += [tokenizer.eos_token_id, *encoding.ids]
    stream.append(tokenizer.eos_token_id)
    stream_tensor = torch.tensor(stream)
    model = build_model(tokenizer, seed)
    generator = torch.Generator().manual_seed(seed)
    batch_size = TRAINING["batch_size"]

    def next_batch(step: int) -> dict:
        starts = torch.randint(0, len(stream_tensor) - CONTEXT, (batch_size,), generator=generator)
        windows = torch.stack([stream_tensor[s : s + CONTEXT] for s in starts.tolist()])
        return {"input_ids": windows, "labels": windows}

    losses = common.train(
        model,
        next_batch,
        steps,
        TRAINING["lr"],
        min(TRAINING["warmup"], max(1, steps // 10)),
        weight_decay=TRAINING["weight_decay"],
        log=log,
    )
    model.generation_config = generation_config(tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    quality = {
        "test": perplexity(model, tokenizer, data.test),
        f"test_first_{SAMPLE_SIZE}": perplexity(model, tokenizer, data.test[:SAMPLE_SIZE]),
    }
    return {
        "class": "GPT2LMHeadModel",
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "data": {**DATA, **(common.SMOKE_DATA if smoke else {}), "train_tokens": len(stream)},
        "tokenizer": TOKENIZER,
        "architecture": ARCHITECTURE,
        "training": {
            **TRAINING,
            "steps": steps,
            "seed": seed,
            "final_loss": sum(losses[-20:]) / len(losses[-20:]),
        },
        "quality": quality,
        "quality_metric": "perplexity per BPE token of each test text scored alone (<eos> text <eos>)",
    }


def card_values(entry: dict) -> dict:
    return {
        "parameters": f"{entry['parameters'] / 1e6:.2f} M",
        "vocab": entry["vocab_size"],
        "steps": entry["training"]["steps"],
        "perplexity": f"{entry['quality']['test']['perplexity']:.2f}",
        "context": CONTEXT,
        **ARCHITECTURE,
        "n_train": DATA["n_train"],
    }
