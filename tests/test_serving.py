"""The course's model service (``course.serving``): its contract (every malformed request gets a 4xx with a
message, never a 500), the real model behind it in each runtime (ONNX Runtime's outputs checked against
PyTorch's), a real uvicorn server on the loopback address under a bounded load test (no error, no lost request;
p50 / p95 printed), and a clear error when the model file is missing or the runtime unknown.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

import pytest
import torch
from fastapi.testclient import TestClient
from lab_server import free_port

from course.models import CheckpointMissingError
from course.serving import MAX_BODY_BYTES, MAX_CHARS, MAX_ITEMS, create_app
from course.serving.runtimes import OnnxClassifier, quantize_int8, quantize_onnx

LOAD_REQUESTS, LOAD_CONCURRENCY = 120, 8  # bounded: the benchmark (benchmarks/lesson22_optimisation.py) sends more


class FakeClassifier:
    """``predict_proba`` of a two-label model: p(positive) grows with the number of "good" in the text."""

    labels = ("negative", "positive")

    def __init__(self):
        self.calls = []

    def predict_proba(self, texts):
        self.calls.append(list(texts))
        positive = torch.tensor([min(0.9, 0.2 + 0.35 * text.count("good")) for text in texts])
        return torch.stack([1 - positive, positive], dim=1)


@pytest.fixture
def fake():
    return FakeClassifier()


@pytest.fixture
def client(fake):
    with TestClient(create_app(fake), raise_server_exceptions=False) as test_client:
        yield test_client


def test_health_and_a_batched_prediction_in_order(client, fake):
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {
        "status": "ok", "model": "course-sentiment", "labels": ["negative", "positive"]}
    response = client.post("/predict", json={"texts": ["bad", "good good", "good"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["label"] for p in body["predictions"]] == ["negative", "positive", "positive"]
    assert body["predictions"][1]["score"] == pytest.approx(0.9)
    assert body["predictions"][0]["probabilities"] == pytest.approx({"negative": 0.8, "positive": 0.2})
    assert fake.calls == [["bad", "good good", "good"]], "the texts of one request go through one forward pass"


MALFORMED = {
    "missing field": ({}, "texts: this field is required"),
    "misspelt field": ({"text": ["good"]}, "texts: this field is required"),
    "unknown extra field": ({"texts": ["good"], "debug": True}, "debug: unknown field"),
    "texts is a string": ({"texts": "good"}, "texts: Input should be a valid list"),
    "a text is a number": ({"texts": ["good", 3]}, "texts.1: Input should be a valid string"),
    "a text is null": ({"texts": [None]}, "texts.0: Input should be a valid string"),
    "texts is null": ({"texts": None}, "texts: Input should be a valid list"),
    "empty list": ({"texts": []}, "texts: List should have at least 1 item"),
    "empty text": ({"texts": ["good", ""]}, "texts.1: String should have at least 1 character"),
    "blank text": ({"texts": ["   "]}, "texts.0: Value error, the text is empty or holds only spaces"),
    "oversized text": ({"texts": ["a" * (MAX_CHARS + 1)]}, f"texts.0: String should have at most {MAX_CHARS}"),
    "too many texts": ({"texts": ["good"] * (MAX_ITEMS + 1)}, f"texts: List should have at most {MAX_ITEMS}"),
    "body is a list": (["good"], "body: Input should be a valid dictionary"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_every_malformed_request_gets_a_422_that_says_what_was_wrong(client, fake, case):
    payload, message = MALFORMED[case]
    response = client.post("/predict", json=payload)
    assert response.status_code == 422, (case, response.status_code, response.text)
    body = response.json()
    assert message in body["error"], (case, body["error"])
    assert body["detail"] and all({"loc", "msg"} <= set(entry) for entry in body["detail"])
    assert fake.calls == [], "a malformed request must never reach the model"


@pytest.mark.parametrize(
    "raw, content_type",
    [(b'{"texts": ["good"', "application/json"), (b"texts=good", "application/json"), (b"", "application/json"),
     (b'{"texts": ["good"]}', "text/plain"), (b"\xff\xfe", "application/json")],
)
def test_invalid_json_or_content_type_gets_a_4xx_with_a_message(client, fake, raw, content_type):
    response = client.post("/predict", content=raw, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500, (raw, response.status_code, response.text)
    assert response.json()["error"].startswith("invalid request"), response.text
    assert fake.calls == []


def test_an_oversized_body_gets_a_413(client, fake):
    response = client.post("/predict", content=b'{"texts": ["' + b"a" * MAX_BODY_BYTES + b'"]}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["error"]
    assert fake.calls == []


def test_wrong_method_and_path_are_4xx(client):
    assert client.get("/predict").status_code == 405
    assert client.post("/predictions", json={"texts": ["good"]}).status_code == 404


def test_the_model_is_loaded_once_at_start_up():
    loads = []

    def loader():
        loads.append(1)
        return FakeClassifier()

    app = create_app(loader=loader)
    assert loads == [], "nothing is loaded before the app starts"
    with TestClient(app) as test_client:
        assert loads == [1]
        for _ in range(3):
            assert test_client.post("/predict", json={"texts": ["good"]}).status_code == 200
    assert loads == [1], "the model is loaded once, at start-up, not per request"


def test_a_missing_model_file_is_a_clear_error_at_start_up(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointMissingError, match=r"model\.safetensors missing.*python -m course\.models build sentiment"):
        create_app(model_dir=tmp_path)
    # The command line (`python -m course.serving`), run in this process: a new interpreter would spend
    # seconds importing torch to print one sentence.
    from course.serving.__main__ import main

    assert main(["--model-dir", str(tmp_path), "--port", "1"]) == 1, "a missing model must exit with status 1"
    stderr = capsys.readouterr().err
    assert "cannot start" in stderr and "model.safetensors missing" in stderr, stderr
    assert "Traceback" not in stderr, "a missing model deserves a sentence, not a traceback"


def test_an_unknown_runtime_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown runtime 'tensorflow': expected one of torch, onnxruntime"):
        create_app(FakeClassifier(), runtime="tensorflow")
    from course.serving.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--runtime", "tensorflow"])
    assert exit_.value.code == 2, "argparse refuses a runtime it does not know, with its usage message"


# --- the int8 quantisers, on a small model ---------------------------------------------------------------------


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4)).eval()


def test_quantize_int8_quantises_every_linear_with_a_scale_per_row_or_per_matrix():
    model = small_model()
    for per_channel, scheme in ((True, torch.per_channel_affine), (False, torch.per_tensor_affine)):
        quantised = quantize_int8(model, per_channel=per_channel)
        layers = [m for m in quantised.modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
        assert len(layers) == 2, quantised
        assert [layer.weight().qscheme() for layer in layers] == [scheme, scheme]
        if per_channel:
            assert [layer.weight().q_per_channel_scales().shape for layer in layers] == [(8,), (4,)]
    assert isinstance(model[0], torch.nn.Linear), "the model itself is left as it was (a quantised copy)"


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")  # inside torch.export, not ours
def test_quantize_onnx_makes_int8_matmuls_with_a_scale_per_row_or_per_matrix(tmp_path):
    import onnx

    torch.onnx.export(small_model(), (torch.randn(2, 3, 16),), str(tmp_path / "small.onnx"), dynamo=True,
                      input_names=["x"], output_names=["y"])
    for per_channel, zero_point_shapes in ((True, [[8], [4]]), (False, [[], []])):
        path = quantize_onnx(tmp_path / "small.onnx", tmp_path / f"small_{per_channel}.onnx", per_channel=per_channel)
        graph = onnx.load(str(path)).graph
        initializers = {tensor.name: list(tensor.dims) for tensor in graph.initializer}
        matmuls = [node for node in graph.node if node.op_type == "MatMulInteger"]
        assert not [node for node in graph.node if node.op_type in ("MatMul", "Gemm")], "a float matmul is left"
        # MatMulInteger(A, B, a_zero_point, b_zero_point): B is the int8 weight, one zero point per scale.
        assert [initializers[node.input[3]] for node in matmuls] == zero_point_shapes
        assert any(node.op_type == "DynamicQuantizeLinear" for node in graph.node), "activations quantised at run time"


# --- the real model in each runtime, and a real server ------------------------------------------------------


@pytest.fixture(scope="module")
def real_app():
    return create_app(threads=1)


@pytest.fixture(scope="module")
def torch_model():
    from course.models import load_sentiment

    return load_sentiment()


@pytest.fixture(scope="module")
def held_out():
    from course.data.sentiment import sentiment_splits

    splits = sentiment_splits(seed=0)
    return splits.valid + splits.test


def model_served(**options):
    """The model that ``create_app(**options)`` serves, built by the app's own start-up."""
    app = create_app(threads=1, **options)
    with TestClient(app) as test_client:
        assert test_client.get("/health").json()["status"] == "ok"
        return app.state.model


@pytest.fixture(scope="module")
def onnx_int8_model():
    """What ``python -m course.serving --runtime onnxruntime --int8`` serves: the model exported to ONNX,
    quantised by ONNX Runtime, run by an inference session."""
    served = model_served(runtime="onnxruntime", int8=True)
    assert isinstance(served, OnnxClassifier)
    return served


@pytest.fixture(scope="module")
def torch_int8_model():
    """What ``python -m course.serving --int8`` serves: every ``nn.Linear`` quantised, one scale per row."""
    served = model_served(int8=True)
    layers = [m for m in served.modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
    assert len(layers) == 38, "the 36 linear layers of MiniLM's blocks, its pooler and the head"
    assert {layer.weight().qscheme() for layer in layers} == {torch.per_channel_affine}
    return served


SERVED = ["torch fp32", "onnxruntime int8"]


def served_app(request, runtime: str):
    """The app serving the shipped model in ``runtime`` (module-scoped models: each is built once)."""
    if runtime == "torch fp32":
        return request.getfixturevalue("real_app")
    return create_app(request.getfixturevalue("onnx_int8_model"))


@pytest.mark.parametrize("runtime", SERVED)
def test_the_real_model_answers_a_batch(request, runtime):
    with TestClient(served_app(request, runtime)) as test_client:
        response = test_client.post("/predict", json={"texts": [
            "An absolutely wonderful film, I loved every minute of it.",
            "The worst meal I have ever had: cold, bland and overpriced."]})
    assert response.status_code == 200, response.text
    labels = [prediction["label"] for prediction in response.json()["predictions"]]
    assert labels == ["positive", "negative"], response.json()


def test_onnx_runtime_fp32_gives_pytorchs_probabilities(torch_model, held_out):
    texts = [text for text, _ in held_out[:48]]
    onnx_model = OnnxClassifier(torch_model, threads=1)
    torch.testing.assert_close(onnx_model.predict_proba(texts), torch_model.predict_proba(texts), atol=1e-4, rtol=0)
    assert onnx_model.labels == torch_model.labels


@pytest.mark.parametrize("runtime", ["torch int8", "onnxruntime int8"])
def test_the_int8_model_changes_the_numbers_not_many_answers(request, runtime, torch_model, held_out):
    """Each held-out sentence alone, as a single request sends it. The probabilities must move (an int8 model
    that equals float32 was not quantised); the answers mostly not: a guard against a broken export or
    quantisation (wrong inputs give about 50 %), with a margin for other CPUs' int8 kernels. The benchmark
    measures the targets."""
    int8_model = request.getfixturevalue({"torch int8": "torch_int8_model", "onnxruntime int8": "onnx_int8_model"}[runtime])
    texts, labels = [text for text, _ in held_out], torch.tensor([label for _, label in held_out])
    fp32 = torch.cat([torch_model.predict_proba([text]) for text in texts])
    int8 = torch.cat([int8_model.predict_proba([text]) for text in texts])
    assert (int8 - fp32).abs().max().item() > 1e-3, "int8 gives float32's probabilities: nothing was quantised"
    fp32_accuracy = (fp32.argmax(-1) == labels).float().mean().item()
    int8_accuracy = (int8.argmax(-1) == labels).float().mean().item()
    assert int8_accuracy >= fp32_accuracy - 0.03, (int8_accuracy, fp32_accuracy)
    assert (int8.argmax(-1) == fp32.argmax(-1)).float().mean().item() >= 0.92


class BackgroundServer:
    """A uvicorn server on 127.0.0.1 in a thread; ``stop()`` asks it to exit and waits."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the server did not stop"


async def load_test(url: str, n_requests: int, concurrency: int) -> dict:
    import httpx

    texts = ["Great food, friendly staff.", "The screen broke after two days.", "Not bad at all.",
             "I would not stay here again."]
    latencies, statuses = [], []
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(n_requests):
        queue.put_nowait(i)

    async def worker(client):
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            try:
                response = await client.post("/predict", json={"texts": [texts[i % len(texts)]]})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    assert len(response.json()["predictions"]) == 1
            except httpx.HTTPError as error:
                statuses.append(type(error).__name__)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": n_requests,
        "answered": sum(isinstance(status, int) for status in statuses),  # an HTTP status, not a failure
        "errors": sum(status != 200 for status in statuses),
        "throughput": n_requests / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


@pytest.mark.parametrize("runtime", SERVED)
def test_a_real_server_on_the_loopback_holds_a_bounded_load_test(request, runtime):
    import httpx

    with BackgroundServer(served_app(request, runtime)) as url:
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{url}/health", trust_env=False, timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        bad = httpx.post(f"{url}/predict", content=b"{", headers={"content-type": "application/json"},
                         trust_env=False, timeout=30)
        assert bad.status_code == 422 and "not valid JSON" in bad.json()["error"]
        result = asyncio.run(load_test(url, LOAD_REQUESTS, LOAD_CONCURRENCY))
    print(f"\nload test ({runtime}): {result['requests']} requests, concurrency {LOAD_CONCURRENCY}: "
          f"{result['throughput']:.0f} requests/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
          f"{result['errors']} errors")
    assert result["answered"] == LOAD_REQUESTS, "a request was lost"
    assert result["errors"] == 0, result
