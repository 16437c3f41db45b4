"""Recipe of the course's English → French translator: a small ``MarianMTModel`` on the lesson-14 grammar.

Data: :func:`course.data.translation_splits` (the compositional split: the test sentences hold adjective–noun
combinations that training never shows). Tokenizer: one SentencePiece-style BPE (``tokenizers``, ``▁`` marks
a word start) shared by English and French, trained on the training pairs, with ``<pad>`` (id 0, also the
decoder's start token, as in Marian), ``</s>`` (id 1, appended to every source and target) and ``<unk>``
(id 2).
Quality: exact match and sacrebleu BLEU of greedy ``generate`` on the test split.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.models import common

NAME = "translator"
PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
DATA = {
    "function": "course.data.translation_splits",
    "n_train": 20000,
    "n_valid": 500,
    "n_test": 500,
    "seed": 0,
}
TOKENIZER = {
    "kind": "Metaspace BPE shared by English and French (tokenizers)",
    "vocab_size": 1000,
    "min_frequency": 2,
}
ARCHITECTURE = {
    "d_model": 128,
    "encoder_layers": 3,
    "decoder_layers": 3,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 512,
    "decoder_ffn_dim": 512,
    "max_position_embeddings": 64,
}
TRAINING = {"steps": 1000, "batch_size": 64, "lr": 2e-3, "warmup": 60, "weight_decay": 0.01, "dropout": 0.1}
SAMPLE_SIZE = 100  # test pairs the unit tests re-translate


def splits(smoke: bool = False):
    from course.data import translation_splits

    return common.data_splits(DATA, translation_splits, smoke)


def build_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER["vocab_size"],
        min_frequency=TOKENIZER["min_frequency"],
        special_tokens=[PAD, EOS, UNK],
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A $B {EOS}", special_tokens=[(EOS, tokenizer.token_to_id(EOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=ARCHITECTURE["max_position_embeddings"],
    )


def build_model(tokenizer, seed: int):
    from transformers import MarianConfig, MarianMTModel

    common.set_seed(seed)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    config = MarianConfig(
        vocab_size=len(tokenizer),
        decoder_vocab_size=len(tokenizer),
        **ARCHITECTURE,
        dropout=TRAINING["dropout"],
        activation_function="gelu",
        scale_embedding=True,
        pad_token_id=pad,
        eos_token_id=eos,
        decoder_start_token_id=pad,
        forced_eos_token_id=None,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
    )
    return MarianMTModel(config)


def generation_config(tokenizer):
    from transformers import GenerationConfig

    return GenerationConfig(
        decoder_start_token_id=tokenizer.pad_token_id,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        max_new_tokens=48,
        num_beams=1,
        do_sample=False,
    )


def encode(tokenizer, pairs: list[tuple[str, str]]) -> dict:
    """Padded ``input_ids``, ``attention_mask`` and ``labels`` (``-100`` on padding) of (english, french)
    pairs."""
    batch = tokenizer(
        [english for english, _ in pairs],
        text_target=[french for _, french in pairs],
        padding=True,
        return_tensors="pt",
    )
    batch["labels"] = batch["labels"].masked_fill(batch["labels"] == tokenizer.pad_token_id, -100)
    return dict(batch)


@torch.no_grad()
def translate(model, tokenizer, sentences: list[str], batch_size: int = 100, **generate_kwargs) -> list[str]:
    """French translations of English ``sentences`` with ``model.generate`` (greedy unless told otherwise)."""
    model.eval()
    out: list[str] = []
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(sentences[start : start + batch_size], padding=True, return_tensors="pt")
        generated = model.generate(**batch, **generate_kwargs)
        out += [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]
    return out


def quality(model, tokenizer, pairs: list[tuple[str, str]], **generate_kwargs) -> dict[str, float]:
    """Exact match (fraction of identical translations) and sacrebleu corpus BLEU on ``pairs``."""
    import sacrebleu

    hypotheses = translate(model, tokenizer, [english for english, _ in pairs], **generate_kwargs)
    references = [french for _, french in pairs]
    exact = sum(h == r for h, r in zip(hypotheses, references)) / len(pairs)
    return {
        "exact_match": exact,
        "bleu": sacrebleu.corpus_bleu(hypotheses, [references], force=True).score,
        "pairs": len(pairs),
    }


def build(out: Path, steps: int | None = None, seed: int = 0, log=print, smoke: bool = False) -> dict:
    """Train the tokenizer and the model, save them in ``out``, return the manifest entry (without files)."""
    steps = TRAINING["steps"] if steps is None else steps
    data = splits(smoke)
    tokenizer = build_tokenizer([text for pair in data.train for text in pair])
    log(f"  tokenizer: {len(tokenizer)} tokens")
    model = build_model(tokenizer, seed)
    generator = torch.Generator().manual_seed(seed)
    batch_size = TRAINING["batch_size"]

    def next_batch(step: int) -> dict:
        indices = torch.randint(0, len(data.train), (batch_size,), generator=generator).tolist()
        return encode(tokenizer, [data.train[i] for i in indices])

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
    model.generation_config = generation_config(tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    scores = {
        "test": quality(model, tokenizer, data.test),
        f"test_first_{SAMPLE_SIZE}": quality(model, tokenizer, data.test[:SAMPLE_SIZE]),
        "valid": quality(model, tokenizer, data.valid),
    }
    return {
        "class": "MarianMTModel",
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
        "quality": scores,
        "quality_metric": "greedy generate(); exact match of the whole sentence and sacrebleu corpus BLEU; "
        "'test' is the compositional split (unseen adjective-noun pairs), 'valid' in-distribution",
    }


def card_values(entry: dict) -> dict:
    test = entry["quality"]["test"]
    return {
        "parameters": f"{entry['parameters'] / 1e6:.2f} M",
        "vocab": entry["vocab_size"],
        "steps": entry["training"]["steps"],
        "exact": f"{100 * test['exact_match']:.1f}",
        "bleu": f"{test['bleu']:.1f}",
        "valid_exact": f"{100 * entry['quality']['valid']['exact_match']:.1f}",
        **ARCHITECTURE,
        "n_train": DATA["n_train"],
    }
