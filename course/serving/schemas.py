"""Request and response bodies of the service (pydantic v2), with the limits a request must respect."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_ITEMS = 32  # texts per request
MAX_CHARS = 2000  # characters per text (the model reads at most 128 tokens anyway)
MAX_BODY_BYTES = 256 * 1024  # a request body larger than this is refused (413) before it is parsed


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is empty or holds only spaces")
    return text


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHARS), AfterValidator(_not_blank)]


class PredictRequest(BaseModel):
    """``{"texts": ["...", ...]}``: 1 to ``MAX_ITEMS`` non-blank strings of at most ``MAX_CHARS`` characters.

    Strict: a number is not a string, and an unknown field is an error (a typo such as ``"text"`` must not
    be silently ignored)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    texts: list[Text] = Field(min_length=1, max_length=MAX_ITEMS, description="the texts to classify")


class Prediction(BaseModel):
    label: str = Field(description="the most probable label")
    score: float = Field(description="its probability")
    probabilities: dict[str, float] = Field(description="the probability of every label")


class PredictResponse(BaseModel):
    model: str
    predictions: list[Prediction]


class ErrorResponse(BaseModel):
    error: str = Field(description="what was wrong, in one sentence")
    detail: list[dict] = Field(default_factory=list, description="one entry per problem (location, message)")
