"""The course's own checkpoints (``course.models``): they load offline with the ``Auto*`` classes, their files
match the manifest, the manifest's held-out quality is reproduced on a sample of the test split, and the build
command still runs (a smoke build: two steps of each recipe on a few hundred texts, into a temporary folder).

Tolerances of the recomputed quality (the build ran on one thread, the tests may not: float sums differ in the
last bits, which can flip an arg-max now and then): perplexity 0.5 % relative, exact match 2 points, BLEU 1.5,
masked-token accuracy 1 point.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import re
from pathlib import Path

import pytest
import torch

import course
from course.models import bert, build, common, gpt, loaders, translator

ROOT = Path(__file__).resolve().parents[1]
PPL_RELATIVE, EXACT_ABSOLUTE, BLEU_ABSOLUTE, ACCURACY_ABSOLUTE = 0.005, 0.02, 1.5, 0.01
MAX_TOTAL_BYTES = 30 * 1024 * 1024


@functools.cache
def manifest() -> dict:
    return loaders.manifest()


@functools.cache
def story_splits():
    assert gpt.DATA == bert.DATA  # the two language models read the same texts
    return gpt.splits()


@functools.cache
def translation_splits():
    return translator.splits()


@functools.cache
def loaded(name: str):
    return loaders.load_course_model(name)


# --- the shipped files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", common.MODEL_NAMES)
def test_files_match_the_manifest(name):
    entry = manifest()["models"][name]
    folder = loaders.checkpoint_path(name)
    on_disk = {path.name for path in folder.iterdir() if path.is_file()}
    assert on_disk == set(entry["files"]) | {"README.md"}, "files on disk and in the manifest differ"
    for file, expected in entry["files"].items():
        data = (folder / file).read_bytes()
        assert len(data) == expected["bytes"], f"{name}/{file}: size differs from the manifest"
        assert hashlib.sha256(data).hexdigest() == expected["sha256"], f"{name}/{file}: hash differs"
    assert entry["total_bytes"] == sum(file["bytes"] for file in entry["files"].values())
    assert {"data", "training", "quality", "parameters", "build"} <= set(entry)
    assert entry["training"]["seed"] == 0 and entry["data"]["seed"] == 0
    assert "--smoke" not in entry["build"]["command"], "a smoke build was shipped"


def test_the_three_checkpoints_fit_in_30_megabytes_and_travel_in_the_wheel():
    total = sum(path.stat().st_size for path in common.CHECKPOINTS_DIR.rglob("*") if path.is_file())
    assert total <= MAX_TOTAL_BYTES, f"the checkpoints take {total / 2**20:.1f} MiB, more than 30"
    line = re.search(r'^"course\.models" = \[(.*)\]$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert line, "pyproject.toml has no [tool.setuptools.package-data] line for course.models"
    globs = re.findall(r'"([^"]+)"', line.group(1))
    shipped = [
        path.relative_to(common.PACKAGE_DIR).as_posix()
        for path in common.CHECKPOINTS_DIR.rglob("*")
        if path.is_file()
    ] + ["manifest.json"]
    for relative in shipped:
        assert any(fnmatch.fnmatch(relative, glob) for glob in globs), (
            f"{relative} is not in the package data"
        )


@pytest.mark.parametrize("name", common.MODEL_NAMES)
def test_the_model_card_quotes_the_manifest(name):
    card = (loaders.checkpoint_path(name) / "README.md").read_text()
    entry = manifest()["models"][name]
    assert card.startswith("---\nlicense: mit")
    assert f"{entry['parameters'] / 1e6:.2f} M parameters" in card
    assert entry["build"]["command"] in card
    assert "## Limits" in card and "## Intended use" in card


# --- loading offline with the Auto classes ---------------------------------------------------------------


def test_gpt_loads_with_the_auto_classes_and_generates_past_20_tokens():
    from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2LMHeadModel

    path = course.models.checkpoint_path("gpt")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    assert isinstance(model, GPT2LMHeadModel)
    assert tokenizer.pad_token_id != tokenizer.eos_token_id, "pad must differ from the end token"
    assert (
        model.config.pad_token_id == tokenizer.pad_token_id
        and model.config.eos_token_id == tokenizer.eos_token_id
    )
    assert model.config.n_positions == 256 and model.config.vocab_size == len(tokenizer)
    assert model.generation_config.max_new_tokens == 128
    prompt = tokenizer("One morning, Anna", return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**prompt)[0, prompt["input_ids"].shape[1] :]
    assert len(generated) > 20, "the generation config should not stop at the default 20 tokens"
    assert tokenizer.eos_token_id in generated.tolist(), "the model should end its story"
    text = tokenizer.decode(generated, skip_special_tokens=True)
    assert text.strip().endswith((".", "!", "?", '"')), text


def test_translator_loads_with_the_auto_classes_and_beam_search_translates():
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, MarianMTModel

    path = course.models.checkpoint_path("translator")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    assert isinstance(model, MarianMTModel)
    assert model.generation_config.decoder_start_token_id == tokenizer.pad_token_id
    assert model.generation_config.max_new_tokens == 48
    pairs = translation_splits().valid[:8]
    batch = tokenizer([english for english, _ in pairs], padding=True, return_tensors="pt")
    with torch.no_grad():
        generated = model.generate(**batch, num_beams=4)
    hypotheses = [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]
    assert sum(h == f for h, (_, f) in zip(hypotheses, pairs)) >= 7, list(zip(hypotheses, pairs))


def test_bert_loads_with_the_auto_classes_and_fills_the_mask():
    from transformers import AutoModelForMaskedLM, AutoTokenizer, BertForMaskedLM, pipeline

    path = course.models.checkpoint_path("bert")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForMaskedLM.from_pretrained(path).eval()
    assert isinstance(model, BertForMaskedLM)
    assert tokenizer.mask_token == "[MASK]" and tokenizer("a cat")["input_ids"][0] == tokenizer.cls_token_id
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer)
    best = fill("once upon a time, there was a little fox [MASK] anna.")[0]
    assert best["token_str"] == "called", best


@pytest.mark.parametrize("name", common.MODEL_NAMES)
def test_course_loaders_give_eval_mode_models(name):
    tokenizer, model = loaded(name)
    assert not model.training
    assert type(model).__name__ == manifest()["models"][name]["class"]
    assert sum(p.numel() for p in model.parameters()) == manifest()["models"][name]["parameters"]


def test_the_loaders_are_public_in_course():
    assert course.load_gpt is loaders.load_gpt and course.load_translator is loaders.load_translator
    assert course.load_bert is loaders.load_bert and course.minilm_path is course.models.minilm_path


def test_a_missing_file_says_how_to_rebuild(tmp_path):
    (tmp_path / "gpt").mkdir()
    (tmp_path / "gpt" / "config.json").write_text("{}")
    with pytest.raises(course.ModelNotInstalledError, match=r"python -m course\.models build gpt"):
        loaders.load_course_model("gpt", root=tmp_path)
    with pytest.raises(loaders.CheckpointMissingError, match="model.safetensors"):
        loaders.checkpoint_path("gpt", root=tmp_path)
    with pytest.raises(ValueError, match="unknown checkpoint 't5'"):
        loaders.checkpoint_path("t5")


# --- the manifest's quality, recomputed on a sample ------------------------------------------------------


def test_gpt_perplexity_matches_the_manifest():
    tokenizer, model = loaded("gpt")
    recorded = manifest()["models"]["gpt"]["quality"]
    sample = gpt.perplexity(model, tokenizer, story_splits().test[: gpt.SAMPLE_SIZE])
    expected = recorded[f"test_first_{gpt.SAMPLE_SIZE}"]
    assert sample["tokens"] == expected["tokens"]
    assert sample["perplexity"] == pytest.approx(expected["perplexity"], rel=PPL_RELATIVE)
    assert recorded["test"]["perplexity"] < 4.0  # the quality the README promises


def test_translator_exact_match_and_bleu_match_the_manifest():
    tokenizer, model = loaded("translator")
    recorded = manifest()["models"]["translator"]["quality"]
    sample = translator.quality(model, tokenizer, translation_splits().test[: translator.SAMPLE_SIZE])
    expected = recorded[f"test_first_{translator.SAMPLE_SIZE}"]
    assert sample["exact_match"] == pytest.approx(expected["exact_match"], abs=EXACT_ABSOLUTE)
    assert sample["bleu"] == pytest.approx(expected["bleu"], abs=BLEU_ABSOLUTE)
    assert recorded["test"]["exact_match"] >= 0.95 and recorded["valid"]["exact_match"] >= 0.95


def test_bert_masked_accuracy_matches_the_manifest():
    tokenizer, model = loaded("bert")
    recorded = manifest()["models"]["bert"]["quality"]
    sample = bert.masked_accuracy(model, tokenizer, story_splits().test[: bert.SAMPLE_SIZE])
    expected = recorded[f"test_first_{bert.SAMPLE_SIZE}"]
    assert sample["masked_tokens"] == expected["masked_tokens"]  # the same seeded masks
    assert sample["masked_accuracy"] == pytest.approx(expected["masked_accuracy"], abs=ACCURACY_ABSOLUTE)
    assert recorded["test"]["masked_accuracy"] >= 0.7


# --- the build command -------------------------------------------------------------------------------------


def test_smoke_build_of_every_recipe(tmp_path):
    assert build.main(["build", "all", "--out", str(tmp_path), "--steps", "2", "--smoke"]) == 0
    built = common.read_manifest(tmp_path / "manifest.json")["models"]
    assert set(built) == set(common.MODEL_NAMES)
    for name, entry in built.items():
        assert entry["training"]["steps"] == 2 and entry["build"]["command"].endswith("--steps 2 --smoke")
        assert entry["files"] == common.file_table(tmp_path / name)
        tokenizer, model = loaders.load_course_model(name, root=tmp_path)
        assert type(model).__name__ == entry["class"] == manifest()["models"][name]["class"]
    assert common.read_manifest() == manifest(), "a build into --out must leave the package's manifest alone"


def test_the_build_is_reproducible(tmp_path):
    first = build.build_one("translator", tmp_path / "a", steps=2, smoke=True, log=lambda _: None)
    second = build.build_one("translator", tmp_path / "b", steps=2, smoke=True, log=lambda _: None)
    assert first["files"]["model.safetensors"] == second["files"]["model.safetensors"]
    assert first["files"]["tokenizer.json"] == second["files"]["tokenizer.json"]


def test_a_smoke_build_never_overwrites_the_shipped_checkpoints():
    with pytest.raises(ValueError, match="pass --out DIR"):
        build.build_one("gpt", common.CHECKPOINTS_DIR, steps=1, smoke=True)
