"""Unit tests of course.quiz, and the agreement of every lesson's sealed quiz with its hidden test."""

from __future__ import annotations

from pathlib import Path

import pytest

from course import quiz

ROOT = Path(__file__).resolve().parents[1]
FEEDBACK = {"a": "Too small: ...", "b": "Right: a sum of d_k terms ...", "c": "Too large: ...",
            "d": "No: ... ünïcode"}


def test_seal_hides_key_and_texts_and_unseal_recovers_them():
    sealed = quiz.seal("answer_99_1", "b", FEEDBACK, salt="s")
    assert sealed.startswith("quiz1:")
    assert "Right" not in sealed and '"b"' not in sealed
    assert quiz.unseal(sealed) == ("answer_99_1", "b", FEEDBACK)
    assert quiz.seal("answer_99_1", "b", FEEDBACK, salt="s") == sealed
    assert quiz.seal("answer_99_1", "b", FEEDBACK) != sealed  # random salt by default
    with pytest.raises(ValueError, match="no feedback"):
        quiz.seal("answer_99_1", "e", FEEDBACK)


def test_check_answer_prints_the_chosen_options_feedback(capsys):
    sealed = quiz.seal("answer_99_1", "b", FEEDBACK)
    assert quiz.check_answer("answer_99_1", "b", sealed) is True
    out = capsys.readouterr().out
    assert "Right" in out and "a sum of d_k terms" in out and "Too small" not in out
    assert quiz.check_answer("answer_99_1", "d", sealed) is False
    out = capsys.readouterr().out
    assert "Not the best answer" in out and "ünïcode" in out and "Right:" not in out


@pytest.mark.parametrize("bad", [None, "B", "e", 2, "ab"])
def test_check_answer_rejects_bad_format(bad):
    sealed = quiz.seal("answer_99_1", "b", FEEDBACK)
    with pytest.raises(AssertionError, match=r'answer_99_1 must be one of "a", "b", "c", "d"'):
        quiz.check_answer("answer_99_1", bad, sealed)


def test_check_answer_refuses_another_questions_seal():
    with pytest.raises(ValueError, match="belongs to answer_99_1"):
        quiz.check_answer("answer_99_2", "a", quiz.seal("answer_99_1", "b", FEEDBACK))


def test_grade_answer():
    quiz.grade_answer("answer_99_1", "b", "b", FEEDBACK)
    with pytest.raises(AssertionError, match="answer_99_1 = 'c' is not the best answer. Too large"):
        quiz.grade_answer("answer_99_1", "c", "b", FEEDBACK)
    with pytest.raises(AssertionError, match="must be one of"):
        quiz.grade_answer("answer_99_1", "x", "b", FEEDBACK)


SOURCE = '''
check_answer("answer_99_1", answer_99_1, (
    "quiz1:stale"))
### BEGIN HIDDEN TESTS
grade_answer("answer_99_1", answer_99_1, "c", {"a": "A.", "b": "B.", "c": "C.", "d": "D."})
### END HIDDEN TESTS
'''


def test_reseal_source_rewrites_from_the_hidden_test_and_is_stable():
    updated = quiz.reseal_source(SOURCE)
    sealed = quiz.sealed_texts(updated)["answer_99_1"]
    assert quiz.unseal(sealed) == ("answer_99_1", "c", {"a": "A.", "b": "B.", "c": "C.", "d": "D."})
    assert quiz.reseal_source(updated) == updated
    assert all(len(line) <= 110 for line in updated.splitlines())


def test_reseal_source_needs_a_grade_answer_call():
    with pytest.raises(ValueError, match="no grade_answer call"):
        quiz.reseal_source(SOURCE.split("### BEGIN")[0])


def lesson_sources():
    return [path for path in sorted((ROOT / "solutions").glob("*.py")) if "check_answer(" in path.read_text()]


@pytest.mark.parametrize("path", lesson_sources(), ids=lambda path: path.stem)
def test_every_sealed_quiz_agrees_with_its_hidden_test(path):
    source = path.read_text(encoding="utf-8")
    sealed = quiz.sealed_texts(source)
    graded = quiz.grade_answer_calls(source)
    assert sealed and set(sealed) == set(graded), f"{path.name}: check_answer and grade_answer calls differ"
    for name, text in sealed.items():
        correct, feedback = graded[name]
        assert quiz.unseal(text) == (name, correct, feedback), (
            f"{path.name}: the sealed quiz {name} is stale; "
            f"run python -m course.quiz {path.relative_to(ROOT)}")
        assert sorted(feedback) == list(quiz.LETTERS), f"{name}: one explanation per option a-d"
