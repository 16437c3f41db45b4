"""The course's model service: a FastAPI app that serves the sentiment classifier (``course.models``).

- :mod:`course.serving.schemas` — the request and response models (pydantic) and their limits;
- :mod:`course.serving.runtimes` — what runs the model: PyTorch or ONNX Runtime, float32 or dynamic int8;
- :mod:`course.serving.app` — :func:`create_app`: ``GET /health``, ``POST /predict`` (batched), the model
  loaded once at start-up, a clear 4xx (never a 500) for every malformed request;
- ``python -m course.serving --host 127.0.0.1 --port 8000 [--runtime onnxruntime] [--int8]`` starts it with
  uvicorn.

Lesson 22 asks learners to write a ``/predict`` endpoint of their own with a different signature; this package
is the shipped, tested service, not the answer to that exercise.
"""

from __future__ import annotations

from course.serving.app import MODEL_NAME, create_app
from course.serving.runtimes import RUNTIMES, quantize_int8
from course.serving.schemas import MAX_BODY_BYTES, MAX_CHARS, MAX_ITEMS, Prediction, PredictRequest, PredictResponse

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CHARS",
    "MAX_ITEMS",
    "MODEL_NAME",
    "Prediction",
    "PredictRequest",
    "PredictResponse",
    "RUNTIMES",
    "create_app",
    "quantize_int8",
]
