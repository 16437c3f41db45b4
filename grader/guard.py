"""The grader's guard inside a sandboxed kernel: what the tests rely on is put back before every test.

Loaded by ``sandbox_kernel.py`` before the kernel starts (so before any student code), as the module
``_course_guard``. The grader (``sandbox_execute.py``) calls it with small silent requests between cells:

``start(modules)``
    before the first cell: imports the modules the lesson and its tests import, so that their pristine state
    can be recorded.
``checkpoint(names, snapshot)``
    after a cell of the lesson itself (never a student's cell): records the functions, classes and modules
    that cell bound (``F``, ``course``, a helper the lesson defines...). With ``snapshot=True`` -- before the
    first cell that holds student code -- it also records the state of every loaded module, of every class
    they define, of IPython, of the kernel and of ``sys``.
``restore(nonce)``
    before every test cell: puts all of that back -- builtins, module functions (``torch.testing.assert_close``,
    ``F.scaled_dot_product_attention``, ``course.quiz.grade_answer``...), class methods
    (``torch.Tensor.__eq__``), functions' code and defaults, the names the lesson bound, IPython's exception
    handling and display (``set_custom_exc``, ``showtraceback``, input and AST transformers, event callbacks),
    ``sys.stdout``/``stderr``/hooks/tracing, warning filters, signal handlers and timers -- and stops threads
    started by the submission. It answers with ``nonce`` so the grader knows it really ran.
``forget()``
    after every test cell: erases that cell's code from the kernel (``In``, ``_i``, line cache, last
    traceback), so later cells cannot read hidden tests back.

This is a safety net against the usual tricks, not a proof: code that runs in the same interpreter as the
tests can always attack the interpreter itself (the grader's static review in ``autograding.py`` reports
such code, and the operating-system sandbox bounds what it can reach).
"""

from __future__ import annotations

import builtins
import functools
import gc
import linecache
import signal
import sys
import threading
import types
import warnings

_PROTECTABLE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType, type,
                types.MethodDescriptorType, types.WrapperDescriptorType, types.ClassMethodDescriptorType,
                types.MethodWrapperType, classmethod, staticmethod, property, functools.partial)
_SKIP_CLASS_KEYS = {"__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__slots__",
                    "__annotations__", "__abstractmethods__", "_abc_impl", "__parameters__", "__orig_bases__"}
_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGVTALRM,
            signal.SIGPROF, signal.SIGCHLD]
_ALLOWED_THREADS = ("TMonitor",)          # tqdm's monitor thread, harmless
_HOOK_LISTS = {"input_transformers_post", "input_transformers_cleanup", "ast_transformers"}
# Set and put back by ipykernel or IPython around every request themselves: not the submission's doing.
_PER_REQUEST = {("builtins", "input"), ("getpass", "getpass"), ("getpass", "unix_getpass"), ("sys", "excepthook")}

report = ""                               # the last restore's answer, read back by the grader
_state: dict = {}


def _protectable(value) -> bool:
    try:
        return isinstance(value, _PROTECTABLE)
    except Exception:  # exotic objects (lazy modules, proxies) may raise on any attribute access
        return False


def _functions_of(value) -> list:
    """The Python functions behind a protectable value (itself, a static/class method's, a property's)."""
    if isinstance(value, types.FunctionType):
        return [value]
    try:
        if isinstance(value, (staticmethod, classmethod, types.MethodType)):
            inner = value.__func__
            return [inner] if isinstance(inner, types.FunctionType) else []
        if isinstance(value, property):
            return [part for part in (value.fget, value.fset) if isinstance(part, types.FunctionType)]
    except Exception:
        pass
    return []


def _members(namespace) -> dict:
    try:
        return {key: value for key, value in dict(namespace).items()
                if isinstance(key, str) and _protectable(value)}
    except Exception:
        return {}


def _shell():
    from IPython import get_ipython

    return get_ipython()


def start(modules: list[str]) -> None:
    """Import the lesson's modules before any student code runs."""
    _state["shell"] = _shell()
    _state["kernel"] = getattr(_state["shell"], "kernel", None)
    _state["names"] = {}
    _state["pids"] = _pids()
    for name in modules:
        try:
            __import__(name)
        except Exception:  # a lesson module that does not import here simply is not protected
            pass


def _pids() -> set:
    import os

    return {entry for entry in os.listdir("/proc") if entry.isdigit()}


def leftover() -> int:
    """Processes started since the kernel started and still running (meaningful in the sandbox's PID space)."""
    import os

    return len(_pids() - _state.get("pids", set()) - {str(os.getpid())})


def _function_parts(function) -> tuple:
    return (function.__code__, function.__defaults__,
            dict(function.__kwdefaults__) if function.__kwdefaults__ else function.__kwdefaults__)


def _snapshot_modules() -> None:
    modules, classes, functions = {}, {}, {}

    def note_functions(value) -> None:
        for function in _functions_of(value):
            if id(function) not in functions:
                functions[id(function)] = (function, _function_parts(function))

    user_ns = _state["shell"].user_ns
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or vars(module) is user_ns:   # __main__, __mp_main__
            continue
        entries = {key: value for key, value in _members(vars(module)).items() if (name, key) not in _PER_REQUEST}
        modules[name] = (module, entries)
        for value in entries.values():
            note_functions(value)
            if isinstance(value, type) and id(value) not in classes:
                members = {key: member for key, member in _members(vars(value)).items()
                           if key not in _SKIP_CLASS_KEYS}
                classes[id(value)] = (value, members)
                for member in members.values():
                    note_functions(member)
    _state.update(modules=modules, classes=classes, functions=functions)


def _snapshot_objects() -> None:
    shell, kernel = _state["shell"], _state["kernel"]
    objects = [shell, kernel, getattr(shell, "displayhook", None), getattr(shell, "display_pub", None),
               getattr(shell, "display_formatter", None), getattr(shell, "compile", None),
               getattr(shell, "input_transformer_manager", None), getattr(shell, "events", None),
               getattr(shell, "InteractiveTB", None), getattr(shell, "SyntaxTB", None),
               getattr(shell, "history_manager", None)]
    saved = []
    for obj in objects:
        if obj is None:
            continue
        plain = {key: value for key, value in vars(obj).items() if _protectable(value) or key in _HOOK_LISTS}
        traits = {key: value for key, value in getattr(obj, "_trait_values", {}).items()
                  if _protectable(value) or key in _HOOK_LISTS}
        lists = {key: list(value) for key, value in {**plain, **traits}.items() if isinstance(value, list)}
        saved.append((obj, set(vars(obj)), plain, traits, lists))
    manager = getattr(shell, "input_transformer_manager", None)
    _state.update(
        objects=saved,
        custom_exceptions=shell.custom_exceptions,
        callbacks={event: list(callbacks) for event, callbacks in shell.events.callbacks.items()},
        handlers={kind: dict(getattr(kernel, kind, {}) or {}) for kind in ("shell_handlers", "control_handlers")},
        sys={key: getattr(sys, key) for key in ("stdout", "stderr", "stdin", "displayhook", "breakpointhook",
                                                "unraisablehook", "__stdout__", "__stderr__")},
        sys_lists={key: list(getattr(sys, key)) for key in ("meta_path", "path_hooks", "path")},
        recursion=sys.getrecursionlimit(),
        warnings=list(warnings.filters),
        signals={number: signal.getsignal(number) for number in _SIGNALS},
        threads=set(threading.enumerate()),
        transformers=[list(getattr(manager, key, [])) for key in ("cleanup_transforms", "line_transforms",
                                                                   "token_transformers")],
        builtins_in_user_ns={name for name in shell.user_ns if name in vars(builtins)},
    )


def checkpoint(names: list[str], snapshot: bool = False) -> None:
    """Record what a lesson cell bound; with ``snapshot``, record the whole pristine state once.

    Threads running after a lesson cell are the lesson's (a model's loader, a progress bar): allowed."""
    user_ns = _state["shell"].user_ns
    if "threads" in _state:   # what the lesson's own cells set up after the snapshot is legitimate too
        _state["threads"] |= set(threading.enumerate())
        _state["builtins_in_user_ns"] |= {name for name in user_ns if name in vars(builtins)}
        _state["warnings"] = list(warnings.filters)
        _state["sys_lists"]["path"] = list(sys.path)
    for name in names:
        if name in user_ns and _protectable(user_ns[name]):
            _state["names"][name] = user_ns[name]
            value = user_ns[name]
            if isinstance(value, types.FunctionType):
                _state.setdefault("user_functions", {})[id(value)] = (value, _function_parts(value))
    _state["names"]["__builtins__"] = builtins
    if snapshot and "modules" not in _state:
        filters = list(warnings.filters)     # before catch_warnings() below changes them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _state["builtins"] = {key: value for key, value in vars(builtins).items()
                                  if ("builtins", key) not in _PER_REQUEST}
            _snapshot_modules()
            _snapshot_objects()
        _state["warnings"] = filters


def _restore_function(function, parts, changed: list) -> None:
    code, defaults, kwdefaults = parts
    if function.__code__ is not code:
        function.__code__ = code
        changed.append(f"code of {function.__qualname__}")
    if function.__defaults__ != defaults:
        function.__defaults__ = defaults
        changed.append(f"defaults of {function.__qualname__}")
    if function.__kwdefaults__ != kwdefaults:
        function.__kwdefaults__ = dict(kwdefaults) if kwdefaults else kwdefaults
        changed.append(f"keyword defaults of {function.__qualname__}")


def _stop_threads(changed: list) -> None:
    import ctypes

    for thread in threading.enumerate():
        if thread in _state["threads"] or thread is threading.current_thread() or \
                type(thread).__name__ in _ALLOWED_THREADS or not thread.is_alive():
            continue
        changed.append(f"thread {thread.name}")
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit))
        thread.join(0.5)
        if thread.is_alive():
            changed.append(f"STILL RUNNING: thread {thread.name}")


def restore(nonce: str) -> None:
    """Put back everything the tests rely on; set :data:`report` to ``nonce`` and what had changed."""
    global report
    changed: list[str] = []
    saved_builtins = _state.get("builtins")
    if saved_builtins is not None:          # first, with plain dict operations: everything else uses them
        namespace = vars(builtins)
        for key, value in saved_builtins.items():
            if namespace.get(key) is not value:
                namespace[key] = value
                changed.append(f"builtins.{key}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _restore(changed)
    if "warnings" in _state and warnings.filters != _state["warnings"]:   # after catch_warnings put them back
        warnings.filters[:] = _state["warnings"]
        warnings._filters_mutated()
        changed.append("warning filters")
    report = nonce + "|" + ";".join(changed)


def _restore(changed: list) -> None:
    sys.settrace(None)
    sys.setprofile(None)
    threading.settrace(None)
    threading.setprofile(None)
    if hasattr(signal, "setitimer"):
        for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(timer, 0)
    for number, handler in _state.get("signals", {}).items():
        if signal.getsignal(number) is not handler and handler is not None:
            signal.signal(number, handler)
            changed.append(f"signal handler {number}")
    if "modules" in _state:
        _stop_threads(changed)
        for name, (module, entries) in _state["modules"].items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
            namespace = vars(module)
            for key, value in entries.items():
                if namespace.get(key) is not value:
                    namespace[key] = value
                    changed.append(f"{name}.{key}")
        for cls, members in _state["classes"].values():
            namespace = vars(cls)
            for key, value in members.items():
                if namespace.get(key) is not value:
                    try:
                        setattr(cls, key, value)
                        changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    except (TypeError, AttributeError):
                        pass
            for key in [key for key in namespace if key not in members and key not in _SKIP_CLASS_KEYS]:
                value = namespace[key]
                inherited = any(key in vars(base) for base in cls.__mro__[1:])
                if inherited and _protectable(value):
                    try:
                        delattr(cls, key)
                        changed.append(f"{cls.__module__}.{cls.__qualname__}.{key} (added)")
                    except (TypeError, AttributeError):
                        pass
        for function, parts in _state["functions"].values():
            _restore_function(function, parts, changed)
        for obj, keys, plain, traits, lists in _state["objects"]:
            namespace = vars(obj)
            for key, value in plain.items():
                if namespace.get(key) is not value:
                    namespace[key] = value
                    changed.append(f"{type(obj).__name__}.{key}")
            for key in [key for key in namespace if key not in keys]:
                if callable(namespace[key]) and hasattr(type(obj), key):
                    del namespace[key]
                    changed.append(f"{type(obj).__name__}.{key} (added)")
            trait_values = getattr(obj, "_trait_values", None)
            if trait_values is not None:
                for key, value in traits.items():
                    if trait_values.get(key) is not value:
                        trait_values[key] = value
                        changed.append(f"{type(obj).__name__}.{key}")
            for key, items in lists.items():
                current = namespace.get(key, trait_values.get(key) if trait_values is not None else None)
                if isinstance(current, list) and current != items:
                    current[:] = items
                    changed.append(f"{type(obj).__name__}.{key}[]")
        shell, kernel = _state["shell"], _state["kernel"]
        if shell.custom_exceptions != _state["custom_exceptions"]:
            changed.append("custom exception handler")
        shell.custom_exceptions = _state["custom_exceptions"]
        for event, callbacks in _state["callbacks"].items():
            if shell.events.callbacks.get(event) != callbacks:
                shell.events.callbacks[event] = list(callbacks)
                changed.append(f"event callbacks {event}")
        for kind, handlers in _state["handlers"].items():
            current = getattr(kernel, kind, None)
            if isinstance(current, dict) and current != handlers:
                current.clear()
                current.update(handlers)
                changed.append(f"kernel {kind}")
        manager = shell.input_transformer_manager
        for key, items in zip(("cleanup_transforms", "line_transforms", "token_transformers"),
                              _state["transformers"]):
            current = getattr(manager, key, None)
            if isinstance(current, list) and current != items:
                current[:] = items
                changed.append(f"input transformers {key}")
        for key, value in _state["sys"].items():
            if getattr(sys, key) is not value:
                setattr(sys, key, value)
                changed.append(f"sys.{key}")
        for key, items in _state["sys_lists"].items():
            if getattr(sys, key) != items:
                getattr(sys, key)[:] = items
                changed.append(f"sys.{key}")
        sys.setrecursionlimit(_state["recursion"])
        user_ns = shell.user_ns
        for name in [name for name in user_ns if name in vars(builtins) and not name.startswith("_")
                     and name not in _state["builtins_in_user_ns"]]:
            del user_ns[name]
            changed.append(f"global {name} shadowing a built-in")
    user_ns = _state["shell"].user_ns
    for name, value in _state.get("names", {}).items():
        if user_ns.get(name) is not value:
            user_ns[name] = value
            changed.append(f"global {name}")
    for function, parts in _state.get("user_functions", {}).values():
        _restore_function(function, parts, changed)


def forget() -> None:
    """Erase the last cell's code (a test cell) from everything the kernel keeps of it."""
    shell = _state["shell"]
    history = shell.history_manager
    sources = set()
    for listing in (history.input_hist_parsed, history.input_hist_raw):
        if listing:
            sources.add(listing[-1])
            listing[-1] = "# (a test cell of the grader: its code is not kept)"
    number = shell.execution_count - 1
    placeholder = "# (a test cell of the grader: its code is not kept)"
    for name in ("_i00", "_i", "_ii", "_iii"):   # the history keeps the last inputs for the next cell's _i...
        if getattr(history, name, None) in sources:
            setattr(history, name, placeholder)
    for name in ("_i", "_ii", "_iii", f"_i{number}"):
        if shell.user_ns.get(name) in sources:
            shell.user_ns[name] = placeholder
    caches = [linecache.cache] + [cache for cache in (getattr(linecache, "_ipython_cache", None),)
                                  if isinstance(cache, dict)]
    for cache in caches:
        for key in list(cache):
            entry = cache[key]
            lines = entry[2] if isinstance(entry, tuple) and len(entry) > 2 else None
            if isinstance(lines, list) and "".join(lines) in sources | {source + "\n" for source in sources}:
                del cache[key]
            elif isinstance(key, str) and (key.startswith("<ipython-input-") or "/ipykernel_" in key) and \
                    isinstance(lines, list) and any(source and source.strip() in "".join(lines)
                                                    for source in sources):
                del cache[key]
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    shell.last_execution_result = None
    for tb in (getattr(shell, "InteractiveTB", None), getattr(shell, "SyntaxTB", None)):
        if tb is not None and hasattr(tb, "tb"):
            tb.tb = None
    gc.collect()


def install() -> None:
    """Make this module importable as ``_course_guard`` (its only public name in the kernel)."""
    sys.modules["_course_guard"] = sys.modules[__name__]
