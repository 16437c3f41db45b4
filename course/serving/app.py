"""The service: :func:`create_app` builds a FastAPI app around a classifier loaded once, at start-up.

Contract:

- ``GET /health`` -> ``{"status": "ok", "model": ..., "labels": [...]}`` (503 while no model is loaded);
- ``POST /predict`` with ``{"texts": [...]}`` -> ``{"model": ..., "predictions": [{"label", "score",
  "probabilities"}, ...]}`` in the order of the texts, all texts in **one** forward pass (with ``int8``, the
  activation scales are computed over that batch: a text's answer can depend on the other texts of its request);
- a malformed request (invalid JSON, missing or unknown field, wrong type, empty list, blank or oversized
  text, too many texts) -> **422** with ``{"error": "<what was wrong>", "detail": [...]}``; a body over
  ``MAX_BODY_BYTES`` -> **413**. Never a 500 for a client's mistake.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from course.serving.runtimes import check_runtime, prepare
from course.serving.schemas import MAX_BODY_BYTES, ErrorResponse, Prediction, PredictRequest, PredictResponse

MODEL_NAME = "course-sentiment"


def _describe(errors) -> tuple[str, list[dict]]:
    """One readable sentence and a JSON-safe list from pydantic's / FastAPI's validation errors."""
    detail, parts = [], []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        where = ".".join(location) or "body"
        message = error.get("msg", "invalid")
        if error.get("type") == "json_invalid":
            message = f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
            where = "body"
        elif error.get("type") == "missing":
            message = "this field is required"
        elif error.get("type") == "extra_forbidden":
            message = "unknown field (the request takes only 'texts')"
        detail.append({"loc": location, "msg": message, "type": error.get("type", "")})
        parts.append(f"{where}: {message}")
    return "invalid request: " + "; ".join(parts), detail


def create_app(
    model: Any | None = None,
    *,
    model_dir: Path | str | None = None,
    loader: Callable[[], Any] | None = None,
    threads: int | None = None,
    runtime: str = "torch",
    int8: bool = False,
) -> FastAPI:
    """A FastAPI app serving a classifier.

    Args:
        model: an already loaded classifier: ``model.labels`` (tuple of names) and
            ``model.predict_proba(texts) -> (len(texts), n_labels)`` probabilities. Tests pass a small fake.
        model_dir: otherwise, the folder of the checkpoint to load at start-up (default: the one the course
            ships). Its files are checked **now**, so a missing model fails at start-up, not at the first
            request.
        loader: otherwise, a callable returning the classifier, called once when the app starts.
        threads: threads for inference, set at start-up (``torch.set_num_threads``, and ONNX Runtime's
            intra-op threads; None: leave the defaults).
        runtime: ``"torch"`` (default) or ``"onnxruntime"``: the model is exported to ONNX at start-up
            (:mod:`course.serving.runtimes`).
        int8: serve the model dynamically quantised to int8, in the chosen runtime.

    Raises:
        ValueError: an unknown ``runtime``.
        course.models.CheckpointMissingError: ``model_dir`` lacks a file (the message says how to rebuild).
    """
    check_runtime(runtime)  # now, not at start-up
    if model is None and loader is None:
        from course.models import loaders

        folder = Path(model_dir) if model_dir is not None else None
        if folder is not None:  # checked here, before any server starts
            missing = [name for name in loaders.REQUIRED_FILES["sentiment"] if not (folder / name).is_file()]
            if missing:
                raise loaders.CheckpointMissingError(
                    f"the sentiment model is incomplete: {', '.join(missing)} missing in {folder}. "
                    "Build it with:  python -m course.models build sentiment   (or pass --model-dir)"
                )

            def loader():
                from course.models import sentiment

                return sentiment.load(folder)
        else:
            loaders.checkpoint_path("sentiment")  # raises CheckpointMissingError with the rebuild command
            loader = loaders.load_sentiment

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if threads is not None:
            torch.set_num_threads(threads)
        # One expression: with int8 or ONNX Runtime, the float32 PyTorch model that the app loads itself is not
        # kept alive beside the model served.
        app.state.model = prepare(model if model is not None else loader(), runtime, int8=int8, threads=threads)
        yield
        app.state.model = None

    app = FastAPI(
        title="course-sentiment",
        description="Sentiment of English review sentences (the course's MiniLM classifier).",
        lifespan=lifespan,
        responses={422: {"model": ErrorResponse}, 413: {"model": ErrorResponse}},
    )
    app.state.model = None

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        message, detail = _describe(error.errors())
        return JSONResponse(status_code=422, content={"error": message, "detail": detail})

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse(
                status_code=413,
                content={"error": f"request body too large: at most {MAX_BODY_BYTES} bytes", "detail": []},
            )
        return await call_next(request)

    @app.get("/health")
    def health() -> JSONResponse:
        loaded = app.state.model
        if loaded is None:
            return JSONResponse(status_code=503, content={"status": "loading", "model": MODEL_NAME})
        return JSONResponse({"status": "ok", "model": MODEL_NAME, "labels": list(loaded.labels)})

    @app.post("/predict", response_model=PredictResponse)
    def predict(request: PredictRequest) -> PredictResponse:
        loaded = app.state.model
        probabilities = loaded.predict_proba(request.texts)  # (n, n_labels): one batch for all the texts
        labels = list(loaded.labels)
        predictions = []
        for row in torch.as_tensor(probabilities).tolist():
            best = max(range(len(labels)), key=row.__getitem__)
            predictions.append(
                Prediction(label=labels[best], score=row[best], probabilities=dict(zip(labels, row)))
            )
        return PredictResponse(model=MODEL_NAME, predictions=predictions)

    return app
