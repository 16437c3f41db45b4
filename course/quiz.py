"""Multiple-choice quizzes that teach: immediate, explained feedback for a self-learner, points from nbgrader.

How a quiz is written (in ``solutions/NN_slug.py``):

- the answer cell sets a variable, e.g. ``answer_04_4 = "c"``;
- the grade cell's **visible** part calls :func:`check_answer` with a *sealed* text::

      from course.quiz import check_answer
      check_answer("answer_04_4", answer_04_4, ("quiz1:..."))

  It checks the format (one of ``"a"``–``"d"``) and prints, at once, whether the chosen option is right
  and the explanation written for **that** option — why it is right, or why it is tempting and wrong;
- the grade cell's **hidden** part awards the points with :func:`grade_answer`, which holds the key and
  every option's explanation in plain text (nbgrader removes it from the student version)::

      from course.quiz import grade_answer
      grade_answer("answer_04_4", answer_04_4, "c", {"a": "...", "b": "...", "c": "...", "d": "..."})

How the feedback is kept out of plain sight (the decision):

- The sealed text holds a **salted hash** of the key, ``sha256(salt:name:letter)``, never the letter; and
  each option's explanation **encrypted with a key stream derived from that option's letter** (and the
  salt), so a reader of the student notebook sees neither which letter is right nor any explanation.
  The explanation of an option is revealed only when the learner has chosen that option and run the cell.
- This is obfuscation, not security, on purpose: the solutions are public in this repository, and anyone
  can call :func:`check_answer` with each letter in turn. What matters is that the answer is not *in plain
  sight* while a learner reads the question, and that trying letters costs a deliberate act; a student
  who does that learns from four explanations, which is the point of the feedback.
- The plain text (hidden test) is the one source: :func:`reseal_source` (or
  ``python -m course.quiz solutions/NN_slug.py``) rewrites every sealed text from the ``grade_answer``
  call of the same cell, and a unit test checks that the two agree in every lesson.

This module holds the quiz mechanism only, never a lesson's answers.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
import secrets
import sys
from collections.abc import Mapping

__all__ = ["LETTERS", "check_answer", "grade_answer", "grade_answer_calls", "reseal_source", "seal",
           "sealed_literal", "sealed_texts", "unseal"]

LETTERS = ("a", "b", "c", "d")
_PREFIX = "quiz1:"


def _digest(salt: str, name: str, letter: str) -> str:
    return hashlib.sha256(f"{salt}:{name}:{letter}".encode()).hexdigest()


def _stream(salt: str, name: str, letter: str, length: int) -> bytes:
    blocks = []
    counter = 0
    while sum(len(block) for block in blocks) < length:
        blocks.append(hashlib.sha256(f"feedback:{salt}:{name}:{letter}:{counter}".encode()).digest())
        counter += 1
    return b"".join(blocks)[:length]


def _xor(data: bytes, key: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(data, key))


def _check_format(name: str, answer: object, letters: tuple[str, ...]) -> None:
    choices = ", ".join(f'"{letter}"' for letter in letters)
    assert isinstance(answer, str) and answer in letters, (
        f"{name} must be one of {choices} (a lower-case letter in quotes), got {answer!r}")


def seal(name: str, correct: str, feedback: Mapping[str, str], salt: str | None = None) -> str:
    """The sealed text of a quiz: a salted hash of the key and each option's explanation, encrypted.

    Args:
        name: the answer variable, e.g. ``"answer_04_4"`` (part of the hash, so keys differ per question).
        correct: the right letter.
        feedback: ``{letter: explanation}`` for every option.
        salt: a random salt when omitted (give one for reproducible output).

    Returns:
        A string ``"quiz1:<base64>"`` for :func:`check_answer`.
    """
    if correct not in feedback:
        raise ValueError(f"the correct letter {correct!r} has no feedback; options are {sorted(feedback)}")
    salt = salt if salt is not None else secrets.token_hex(8)
    options = {}
    for letter, text in feedback.items():
        data = text.encode()
        options[letter] = base64.b64encode(_xor(data, _stream(salt, name, letter, len(data)))).decode()
    payload = {"name": name, "salt": salt, "key": _digest(salt, name, correct), "options": options}
    return _PREFIX + base64.b64encode(json.dumps(payload, sort_keys=True).encode()).decode()


def _open(sealed: str) -> dict:
    if not sealed.startswith(_PREFIX):
        raise ValueError("not a sealed quiz text (it should start with 'quiz1:')")
    return json.loads(base64.b64decode(sealed[len(_PREFIX):]))


def _reveal(payload: dict, letter: str) -> str:
    data = base64.b64decode(payload["options"][letter])
    return _xor(data, _stream(payload["salt"], payload["name"], letter, len(data))).decode()


def unseal(sealed: str) -> tuple[str, str, dict[str, str]]:
    """Open a sealed text (for authors and tests): ``(name, correct_letter, {letter: explanation})``."""
    payload = _open(sealed)
    feedback = {letter: _reveal(payload, letter) for letter in payload["options"]}
    correct = [letter for letter in feedback
               if _digest(payload["salt"], payload["name"], letter) == payload["key"]]
    if len(correct) != 1:
        raise ValueError("the sealed text's key matches no option")
    return payload["name"], correct[0], feedback


def check_answer(name: str, answer: object, sealed: str, letters: tuple[str, ...] = LETTERS) -> bool:
    """Visible self-check of a quiz: check the format, then print the explanation of the chosen option.

    Raises ``AssertionError`` only when ``answer`` is not one of ``letters``; a wrong letter prints why it
    is wrong (the hidden test then withholds the points).

    Args:
        name: the answer variable's name, e.g. ``"answer_04_4"``.
        answer: its value.
        sealed: the quiz's sealed text (:func:`seal`).
        letters: the allowed letters.

    Returns:
        Whether the answer is right.
    """
    _check_format(name, answer, letters)
    payload = _open(sealed)
    if payload["name"] != name:
        raise ValueError(f"this sealed text belongs to {payload['name']}, not to {name}")
    right = _digest(payload["salt"], name, str(answer)) == payload["key"]
    verdict = "Right" if right else "Not the best answer (you may change it and run this cell again)"
    print(f"{name} = {answer!r}. {verdict}.\n{_reveal(payload, str(answer))}")
    return right


def grade_answer(name: str, answer: object, correct: str, feedback: Mapping[str, str],
                 letters: tuple[str, ...] = LETTERS) -> None:
    """Hidden test of a quiz: fail, with the chosen option's explanation, unless ``answer == correct``."""
    _check_format(name, answer, letters)
    assert answer == correct, f"{name} = {answer!r} is not the best answer. {feedback.get(str(answer), '')}"


def sealed_literal(sealed: str, indent: str = "    ", width: int = 96) -> str:
    """Python source for ``sealed`` as a parenthesised string literal cut into lines of ``width``."""
    pieces = [sealed[start:start + width] for start in range(0, len(sealed), width)]
    return "(\n" + "\n".join(f'{indent}"{piece}"' for piece in pieces) + ")"


_CHECK = re.compile(
    r'check_answer\(\s*"(?P<name>\w+)",\s*(?P<variable>\w+),\s*\((?P<body>(?:\s*"[^"]*")+)\s*\)\)')


def grade_answer_calls(source: str) -> dict[str, tuple[str, dict[str, str]]]:
    """``{name: (correct, feedback)}`` of every ``grade_answer("name", variable, "x", {...})`` call."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "grade_answer"
                and len(node.args) >= 4):
            name = ast.literal_eval(node.args[0])
            found[name] = (ast.literal_eval(node.args[2]), ast.literal_eval(node.args[3]))
    return found


def sealed_texts(source: str) -> dict[str, str]:
    """``{name: sealed}`` of every ``check_answer("name", variable, ("quiz1:..."))`` call in ``source``."""
    return {match["name"]: "".join(re.findall(r'"([^"]*)"', match["body"]))
            for match in _CHECK.finditer(source)}


def reseal_source(source: str) -> str:
    """Rewrite every sealed text in a lesson source from the ``grade_answer`` call with the same name.

    A sealed text whose contents already agree is left as it is (no churn in diffs).
    """
    graded = grade_answer_calls(source)

    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in graded:
            raise ValueError(f"check_answer for {name} has no grade_answer call with the key and feedback")
        correct, feedback = graded[name]
        current = "".join(re.findall(r'"([^"]*)"', match["body"]))
        try:
            if current and unseal(current) == (name, correct, dict(feedback)):
                return match.group(0)
        except (ValueError, KeyError, json.JSONDecodeError):
            pass
        sealed = seal(name, correct, feedback)
        return f'check_answer("{name}", {match["variable"]}, {sealed_literal(sealed)})'

    return _CHECK.sub(replace, source)


def main(argv: list[str] | None = None) -> int:
    """``python -m course.quiz solutions/NN_slug.py ...``: reseal every quiz of the given lesson sources."""
    for path in argv if argv is not None else sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        updated = reseal_source(source)
        if updated != source:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(updated)
            print(f"resealed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
