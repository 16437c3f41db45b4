"""Typical wrong answers for lesson 22 (optimisation and deployment), graded together in one extra submission."""

WRONG = {
    # Counts the .onnx file alone: the weights in the external data file are missed.
    "ex22_1": '''
def model_size_bytes(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    return path.stat().st_size
''',
    # Mean of every call, warm-up included.
    "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    times = []
    for _ in range(warmup + runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    torch.set_num_threads(previous)
    return {"median": float(np.mean(times)), "spread": float(np.percentile(times, 75) - np.percentile(times, 25)),
            "times": times[warmup:]}
''',
    # No validation: the body is a plain list of strings, so an empty text reaches the model with a 200.
    "ex22_3": '''
from fastapi import Body


def build_app(load_model):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.model = load_model()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/predict")
    def predict(texts: list[str] = Body(..., embed=True)):
        model = app.state.model
        rows = torch.as_tensor(model.predict_proba(texts)).tolist()
        predictions = []
        for row in rows:
            best = int(np.argmax(row))
            predictions.append({"label": model.labels[best], "score": row[best],
                                "probabilities": dict(zip(model.labels, row))})
        return {"model": "course-sentiment", "predictions": predictions}

    return app
''',
    # Tempting: "int8 weights count as half a parameter".
    "ex22_4": 'answer_22_4 = "a"\n',
}

_APP_HEAD = '''
def build_app(load_model):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.model = load_model()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    def health():
        return {"status": "ok"}

'''

_APP_TAIL = '''
    return app
'''

# Single mistakes, each graded as its own submission (with the reference elsewhere) by
# `python tests/grading.py 22_optimisation_and_deployment --variants` (COURSE_GRADE_VARIANTS=1 in pytest).
VARIANTS = [
    {
        # Parameters x 4 bytes: loads the weights and counts elements (and fails on an ONNX file's data).
        "ex22_1": '''
def model_size_bytes(path):
    import onnx
    from onnx import numpy_helper

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
    total = 0
    for file in files:
        if file.suffix == ".onnx":
            model = onnx.load(str(file))
            total += 4 * sum(numpy_helper.to_array(t).size for t in model.graph.initializer)
        elif file.suffix == ".pt":
            state = torch.load(file)
            total += 4 * sum(v.numel() for v in state.values() if isinstance(v, torch.Tensor))
        else:
            total += file.stat().st_size
    return total
''',
        # A single timed run.
        "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    torch.set_num_threads(previous)
    return {"median": elapsed, "spread": 0.0, "times": [elapsed]}
''',
        # The body as a dict: a missing key is a KeyError (500), nothing is validated.
        "ex22_3": _APP_HEAD + '''    @app.post("/predict")
    def predict(body: dict):
        model = app.state.model
        rows = torch.as_tensor(model.predict_proba(body["texts"])).tolist()
        predictions = []
        for row in rows:
            best = int(np.argmax(row))
            predictions.append({"label": model.labels[best], "score": row[best],
                                "probabilities": dict(zip(model.labels, row))})
        return {"model": "course-sentiment", "predictions": predictions}
''' + _APP_TAIL,
        "ex22_4": 'answer_22_4 = "d"\n',
    },
    {
        # Counts only the .onnx files of a folder (and the .onnx file alone).
        "ex22_1": '''
def model_size_bytes(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*.onnx"))
    return path.stat().st_size
''',
        # No warm-up: every call is timed, the slow first ones included.
        "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    torch.set_num_threads(previous)
    return {"median": float(np.median(times)),
            "spread": float(np.percentile(times, 75) - np.percentile(times, 25)), "times": times}
''',
        # One forward pass per text instead of one per request.
        "ex22_3": _APP_HEAD + '''    @app.post("/predict")
    def predict(request: PredictRequest) -> PredictResponse:
        model = app.state.model
        predictions = []
        for text in request.texts:
            row = torch.as_tensor(model.predict_proba([text]))[0].tolist()
            best = int(np.argmax(row))
            predictions.append(Prediction(label=model.labels[best], score=row[best],
                                          probabilities=dict(zip(model.labels, row))))
        return PredictResponse(model="course-sentiment", predictions=predictions)
''' + _APP_TAIL,
        "ex22_4": 'answer_22_4 = "b"\n',
    },
    {
        # Sums the external data once per tensor that refers to it.
        "ex22_1": '''
def model_size_bytes(path):
    import onnx

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    total = path.stat().st_size
    if path.suffix == ".onnx":
        for tensor in onnx.load(str(path), load_external_data=False).graph.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                location = {e.key: e.value for e in tensor.external_data}["location"]
                total += (path.parent / location).stat().st_size
    return total
''',
        # Threads never fixed.
        "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median": float(np.median(times)),
            "spread": float(np.percentile(times, 75) - np.percentile(times, 25)), "times": times}
''',
        # The model loaded per request, inside the endpoint.
        "ex22_3": '''
def build_app(load_model):
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post("/predict")
    def predict(request: PredictRequest) -> PredictResponse:
        model = load_model()
        rows = torch.as_tensor(model.predict_proba(request.texts)).tolist()
        predictions = []
        for row in rows:
            best = int(np.argmax(row))
            predictions.append(Prediction(label=model.labels[best], score=row[best],
                                          probabilities=dict(zip(model.labels, row))))
        return PredictResponse(model="course-sentiment", predictions=predictions)

    return app
''',
    },
    {
        # A folder counted non-recursively.
        "ex22_1": '''
def model_size_bytes(path):
    import onnx

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.is_dir():
        return sum(file.stat().st_size for file in path.iterdir() if file.is_file())
    total = path.stat().st_size
    if path.suffix == ".onnx":
        locations = set()
        for tensor in onnx.load(str(path), load_external_data=False).graph.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                locations.add({e.key: e.value for e in tensor.external_data}["location"])
        total += sum((path.parent / name).stat().st_size for name in locations)
    return total
''',
        # Threads fixed but never restored.
        "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    torch.set_num_threads(threads)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median": float(np.median(times)),
            "spread": float(np.percentile(times, 75) - np.percentile(times, 25)), "times": times}
''',
        # The label of the first column every time (arg-min / fixed index mistake): score of the wrong label.
        "ex22_3": _APP_HEAD + '''    @app.post("/predict")
    def predict(request: PredictRequest) -> PredictResponse:
        model = app.state.model
        rows = torch.as_tensor(model.predict_proba(request.texts)).tolist()
        predictions = [Prediction(label=model.labels[int(np.argmin(row))], score=min(row),
                                  probabilities=dict(zip(model.labels, row))) for row in rows]
        return PredictResponse(model="course-sentiment", predictions=predictions)
''' + _APP_TAIL,
    },
    {
        # Returns 0 for a missing path instead of raising; otherwise right.
        "ex22_1": '''
def model_size_bytes(path):
    import onnx

    path = Path(path)
    if not path.exists():
        return 0
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    total = path.stat().st_size
    if path.suffix == ".onnx":
        locations = set()
        for tensor in onnx.load(str(path), load_external_data=False).graph.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                locations.add({e.key: e.value for e in tensor.external_data}["location"])
        total += sum((path.parent / name).stat().st_size for name in locations)
    return total
''',
        # Median right, but the spread is the standard deviation.
        "ex22_2": '''
def benchmark(fn, warmup=3, runs=10, threads=1):
    if runs < 1 or warmup < 0:
        raise ValueError("bad arguments")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return {"median": float(np.median(times)), "spread": float(np.std(times)), "times": times}
''',
        # The course's own service, wrapped: not allowed.
        "ex22_3": '''
def build_app(load_model):
    from course.serving import create_app

    return create_app(loader=load_model)
''',
    },
]
