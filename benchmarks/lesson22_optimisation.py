"""Benchmark of lesson 22: int8 against fp32 for the course's sentiment classifier, and the service's latency.

    python benchmarks/lesson22_optimisation.py [--runs 20] [--requests 300] [--concurrency 8] [--quick]

Measures, on this machine, with one thread everywhere (torch and ONNX Runtime):

- latency (median and inter-quartile range over warm runs, the models taking turns) of the first 1, 8 and 32
  held-out sentences as one batch, for PyTorch fp32, PyTorch dynamic int8
  (``torch.ao.quantization.quantize_dynamic``), ONNX Runtime fp32 (``torch.onnx.export(dynamo=True)``) and ONNX
  Runtime dynamic int8 (``onnxruntime.quantization.quantize_dynamic``); each int8 model with one weight scale
  per matrix (as in lesson 22) and per channel (one per output row, as the service quantises:
  ``course.serving.runtimes``);
- size on disk (the ONNX external data file counted) and accuracy / agreement with fp32 on the held-out
  sentences (validation + test splits of ``course.data.sentiment``), sent in batches of 1, 8 and 32;
- the service, started as the README starts it (``python -m course.serving --threads 1 [--runtime
  onnxruntime] [--int8]``, a uvicorn server in its own process on 127.0.0.1): PyTorch fp32 (the default),
  PyTorch int8 and ONNX Runtime int8 (both per channel); its start-up time, the median latency of a short
  request sent alone, and a bounded load test (throughput, p50 / p95, errors).

It prints one table that the README quotes, and the targets of issue 9 with what was measured (each int8
model against the fp32 model of the same runtime, at the same batch size). ``--quick`` only checks that the
script runs (one service). It is a script, not a timed test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHORT = "Great value, friendly staff."
BATCH_SIZES = (1, 8, 32)  # batch sizes at which latency, accuracy and agreement are measured


def timed(fns: dict, warmup: int, runs: int) -> dict[str, tuple[float, float]]:
    """Median and inter-quartile range (seconds) of each function, after ``warmup`` calls. The functions take
    turns, one call each per round, so that a change of load on the machine affects all of them alike rather
    than whichever was being timed at that moment."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: (float(np.median(t)), float(np.percentile(t, 75) - np.percentile(t, 25))) for name, t in times.items()}


def size_bytes(path: Path) -> int:
    import onnx

    total = path.stat().st_size
    if path.suffix == ".onnx":
        graph = onnx.load(str(path), load_external_data=False).graph
        locations = {
            {e.key: e.value for e in t.external_data}["location"]
            for t in graph.initializer
            if t.data_location == onnx.TensorProto.EXTERNAL
        }
        total += sum((path.parent / location).stat().st_size for location in locations)
    return total


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def load_test(url: str, texts: list[str], n_requests: int, concurrency: int) -> dict:
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for i in range(n_requests):
        queue.put_nowait(i)
    latencies, outcomes = [], []

    async def worker(client):
        while not queue.empty():
            i = queue.get_nowait()
            start = time.perf_counter()
            try:
                response = await client.post("/predict", json={"texts": [texts[i % len(texts)]]})
                outcomes.append(response.status_code)
            except httpx.HTTPError as error:
                outcomes.append(type(error).__name__)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    wall = time.perf_counter() - start
    return {
        "answered": sum(isinstance(o, int) for o in outcomes),  # an HTTP status, not a transport failure
        "errors": sum(o != 200 for o in outcomes),
        "throughput": n_requests / wall,
        "p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "p95_ms": 1000 * float(np.percentile(latencies, 95)),
    }


def measure_service(label: str, options: list[str], texts: list[str], runs: int, requests: int,
                    concurrency: int) -> dict:
    """Start the service as the README does (``python -m course.serving``, its own process, one torch thread),
    time a short request sent alone, run the load test, stop the server."""
    import httpx

    port = free_port()
    started = time.perf_counter()
    log = tempfile.TemporaryFile()  # uvicorn logs every request: a pipe nobody reads would fill and block it
    server = subprocess.Popen([sys.executable, "-m", "course.serving", "--port", str(port), "--threads", "1", *options],
                              stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/health").raise_for_status()
                    start_up = time.perf_counter() - started
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"the service did not start: {log.read().decode()[-2000:]}") from None
                    time.sleep(0.2)
            ((median, spread),) = timed({label: lambda: client.post("/predict", json={"texts": [SHORT]})}, 5, runs).values()
        load = asyncio.run(load_test(url, texts, requests, concurrency))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return {"service": label, "start_up_s": start_up, "short_median_ms": 1000 * median, "short_iqr_ms": 1000 * spread,
            **load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--quick", action="store_true",
                        help="a check that the script runs (3 runs, 40 requests, one service), not for quoting")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.runs, arguments.requests, arguments.concurrency = 3, 40, 4
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    logging.getLogger().setLevel(logging.ERROR)
    logging.getLogger("torch").setLevel(logging.ERROR)

    import onnxruntime as ort

    from course.data.sentiment import sentiment_splits
    from course.models import load_sentiment
    from course.serving.runtimes import export_onnx, inference_session, quantize_int8, quantize_onnx

    model = load_sentiment()
    splits = sentiment_splits(seed=0)
    held_out = splits.valid + splits.test
    texts = [text for text, _ in held_out]
    labels = torch.tensor([label for _, label in held_out])
    folder = Path(tempfile.mkdtemp(prefix="lesson22_bench_"))
    torch_models = {"torch fp32": model, "torch int8": quantize_int8(model, per_channel=False),
                    "torch int8, per channel": quantize_int8(model)}
    for name, torch_model in torch_models.items():
        torch.save(torch_model.state_dict(), folder / f"{name}.pt")
    onnx_files = {"onnxruntime fp32": export_onnx(model, folder / "model.onnx")}
    onnx_files["onnxruntime int8"] = quantize_onnx(onnx_files["onnxruntime fp32"], folder / "model.int8.onnx",
                                                   per_channel=False)
    onnx_files["onnxruntime int8, per channel"] = quantize_onnx(onnx_files["onnxruntime fp32"],
                                                                folder / "model.int8_per_channel.onnx")

    def session(path):
        s = inference_session(path, threads=1)
        return lambda b: torch.from_numpy(s.run(["logits"], {k: v.numpy() for k, v in b.items()})[0])

    def torch_runner(m):
        def run(b):
            with torch.inference_mode():
                return m(**b)
        return run

    runners = {name: (torch_runner(m), folder / f"{name}.pt") for name, m in torch_models.items()}
    runners.update({name: (session(path), path) for name, path in onnx_files.items()})
    # Latency of the first `size` held-out sentences as one batch, for each batch size.
    timings = {size: timed({name: lambda run=run, b=model.tokenize(texts[:size]): run(b)
                            for name, (run, _) in runners.items()}, 3, arguments.runs) for size in BATCH_SIZES}
    rows = {}
    for name, (run, path) in runners.items():
        # Each batch tokenized on its own, as a client would send it. Dynamic int8 computes each activation
        # scale over the whole batch (padding included), so an int8 model's answer for a sentence can depend on
        # the sentences beside it: quality is measured at each batch size too.
        predictions = {size: torch.cat([run(model.tokenize(texts[i:i + size])) for i in range(0, len(texts), size)]
                                       ).argmax(-1) for size in BATCH_SIZES}
        rows[name] = {"ms": {size: tuple(1000 * t for t in timings[size][name]) for size in BATCH_SIZES},  # median, IQR
                      "bytes": size_bytes(path), "predictions": predictions,
                      "accuracy": {size: (p == labels).float().mean().item() for size, p in predictions.items()}}
    service_options = {"torch fp32": [], "torch int8, per channel": ["--int8"],
                       "onnxruntime int8, per channel": ["--runtime", "onnxruntime", "--int8"]}
    if arguments.quick:
        service_options = {"onnxruntime int8, per channel": service_options["onnxruntime int8, per channel"]}
    services = [measure_service(label, options, texts, arguments.runs, arguments.requests, arguments.concurrency)
                for label, options in service_options.items()]

    def fp32_of(name: str) -> str:
        return name.split()[0] + " fp32"

    def agreement(name: str, size: int) -> float:
        return (rows[name]["predictions"][size] == rows[fp32_of(name)]["predictions"][size]).float().mean().item()

    def speed_up(name: str, size: int) -> float:
        return rows[fp32_of(name)]["ms"][size][0] / rows[name]["ms"][size][0]

    def per_size(fn) -> str:
        return " / ".join(fn(size) for size in BATCH_SIZES)

    print(f"lesson 22 benchmark{' (--quick: few runs, not for quoting)' if arguments.quick else ''} — "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"onnxruntime {ort.__version__}, 1 thread; latency: the first 1, 8 and 32 held-out sentences as one batch, "
          f"{arguments.runs} warm runs, the models taking turns; accuracy: {len(texts)} held-out sentences (valid "
          f"{len(splits.valid)} + test {len(splits.test)}) in batches of 1, 8 and 32; load average "
          f"{os.getloadavg()[0]:.1f}")
    sizes = " / ".join(map(str, BATCH_SIZES))
    print(f"| what | median ms (IQR), batches of {sizes} | speed-up vs fp32 of the same runtime | size MB "
          f"| accuracy | agreement with fp32 | p95 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        latency = per_size(lambda size: f"{row['ms'][size][0]:.1f} ({row['ms'][size][1]:.1f})")
        speed = per_size(lambda size: f"{speed_up(name, size):.2f}x")
        accuracy = per_size(lambda size: f"{row['accuracy'][size]:.1%}")
        agreements = per_size(lambda size: f"{agreement(name, size):.1%}")
        print(f"| {name} | {latency} | {speed} | {row['bytes'] / 1e6:.1f} | {accuracy} | {agreements} | | |")
    for s in services:
        print(f"| service ({s['service']}), started in {s['start_up_s']:.1f} s; one short request alone "
              f"| {s['short_median_ms']:.1f} ({s['short_iqr_ms']:.1f}) | | | | | | |")
        print(f"| service ({s['service']}), load test: {arguments.requests} requests, concurrency "
              f"{arguments.concurrency}, {s['answered']} answered, {s['throughput']:.1f} req/s | p50 {s['p50_ms']:.0f} "
              f"| | | | | {s['p95_ms']:.0f} | {s['errors']} |")
    print("\nTargets (issue 9), as measured in this run (speed and quality at the same batch size):")
    for name in ("torch int8", "torch int8, per channel", "onnxruntime int8", "onnxruntime int8, per channel"):
        verdicts = []
        for size in BATCH_SIZES:
            lost = 100 * (rows[fp32_of(name)]["accuracy"][size] - rows[name]["accuracy"][size])
            agree = agreement(name, size)
            quality = "agreement" if agree >= 0.99 else "accuracy alone" if lost <= 1.0 else None
            met = speed_up(name, size) >= 1.5 and quality is not None
            verdicts.append(f"batches of {size}: {speed_up(name, size):.2f}x, {lost:+.1f} points lost, agreement "
                            f"{agree:.1%}: {f'met (by {quality})' if met else 'NOT met'}")
        print(f"- {name} vs {fp32_of(name)} (targets: >= 1.5x faster; <= 1 point of accuracy lost or >= 99 % "
              f"agreement): " + "; ".join(verdicts))
    for s in services:
        print(f"- service ({s['service']}): short request median {s['short_median_ms']:.1f} ms (target <= 15 ms): "
              f"{'met' if s['short_median_ms'] <= 15 else 'NOT met'}; load test {s['errors']} errors, "
              f"{arguments.requests - s['answered']} requests without an HTTP answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
