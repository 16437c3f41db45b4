"""nbgrader's Execute step, hardened for untrusted notebooks (used in the grader's per-submission course).

It runs in the grader's nbgrader process, outside the sandbox, and talks to the sandboxed kernel. Compared with
nbgrader's own ``Execute`` it

* calls the kernel's guard (``guard.py``) between cells: records the lesson's pristine state before the first
  cell holding student code, restores it before every test cell and checks, with a fresh random nonce, that the
  restoration really ran (a test cell whose check fails is not run: it scores 0);
* erases every test cell's code from the kernel once it has run;
* ignores any value a test cell *displays* (``execute_result``): nbgrader would read it as a partial score,
  which a submission could forge;
* survives a kernel that dies (``os._exit``, a crash, the memory limit): the remaining cells are marked as not
  run instead of the whole notebook being dropped, so the tests that ran before keep their scores;
* caps the total output it keeps, refuses oversized kernel messages, and ignores widget messages;
* writes what happened (cell started, timeout, kernel died, guard findings) as JSON lines to the file named by
  ``$COURSE_GRADER_EVENTS``, which the grader turns into ``PROBLEM`` lines.

Cells carry their role in ``metadata.course_grader`` (written by ``autograding.py``): ``lesson`` (the
lesson's own cells, run as distributed), ``answer`` and ``added`` (student code), ``test`` (graded cells).
"""

from __future__ import annotations

import json
import os
import secrets
import time

import zmq
from jupyter_client.utils import ensure_async
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

GUARD = "__import__('_course_guard')"


def error_output(name: str, message: str):
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class SandboxExecute(Execute):
    output_limit = Integer(16 * 1024 * 1024, help="bytes of output kept for the whole notebook").tag(config=True)
    message_limit = Integer(64 * 1024 * 1024, help="largest kernel message accepted, in bytes").tag(config=True)
    sandboxed = Bool(True, help="the kernel runs in its own PID namespace (processes can be counted)").tag(
        config=True)
    guard_modules = List([], help="modules to import before the first cell, so the guard protects them").tag(
        config=True)
    ipc_path = Unicode("", help="path prefix of the kernel's IPC sockets (the sandbox has no network)").tag(
        config=True)

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._started = False
        self._snapshot = False
        self._dead: str | None = None
        self._output_bytes = 0
        self._capped = False

    # --- events for the grader ---------------------------------------------------------------------------
    def _event(self, **event) -> None:
        path = os.environ.get("COURSE_GRADER_EVENTS")
        if path:
            with open(path, "a") as file:
                file.write(json.dumps({**event, "t": round(time.monotonic(), 3)}) + "\n")

    # --- kernel set-up -----------------------------------------------------------------------------------
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self.ipc_path:   # sockets in a folder shared with the sandbox, connection file next to them
            km.transport = "ipc"
            km.ip = self.ipc_path
            km.connection_file = os.path.join(os.path.dirname(self.ipc_path), f"kernel-{secrets.token_hex(8)}.json")
        return km

    async def async_start_new_kernel(self, **kwargs):
        # Applies to every socket the client makes from now on: an oversized message drops the connection
        # instead of filling the grader's memory.
        self.km.context.setsockopt(zmq.MAXMSGSIZE, self.message_limit)
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)   # nbconvert calls the synchronous names

    def handle_comm_msg(self, outs, msg, cell_index) -> None:
        return None  # widgets are not needed to grade, and their output hooks could divert a test's outputs

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = sum(len(value) if isinstance(value, str) else len(json.dumps(value))
                   for value in content.values())
        self._output_bytes += size
        if self._output_bytes > self.output_limit:
            if not self._capped:
                self._capped = True
                cell = self.nb.cells[cell_index]
                self._event(event="output_too_large", index=cell_index, id=cell.get("id"),
                            limit=self.output_limit)
                outs.append(new_output("stream", name="stdout", text=(
                    f"\n[grader: more than {self.output_limit // 2**20} MiB of output; the rest was dropped]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # --- the guard ---------------------------------------------------------------------------------------
    async def _guard(self, code: str, expression: str | None = None) -> dict | None:
        self._event(event="guard", code=code[:60])
        msg_id = await ensure_async(self.kc.execute(
            code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False,
            user_expressions={"r": expression} if expression else {}))
        reply = await self.async_wait_for_reply(msg_id)
        return reply["content"] if reply else None

    async def _responds(self, seconds: float = 10) -> bool:
        """Whether the kernel answers a trivial request within ``seconds`` (after an interrupt)."""
        msg_id = await ensure_async(self.kc.execute("None", silent=True, store_history=False))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=max(0.1, deadline - time.monotonic())))
            except Exception:  # queue.Empty: no message in time
                return False
            if reply["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    async def _restore(self, cell_index: int, cell) -> str | None:
        """Restore the pristine state; return None when that verifiably happened, else what went wrong."""
        nonce = secrets.token_hex(16)
        reply = await self._guard(f"{GUARD}.restore({nonce!r})", f"{GUARD}.report")
        if reply is None:
            return "the grader's check did not answer in time"
        if reply.get("status") != "ok":
            return f"the grader's check failed ({reply.get('ename')}: {str(reply.get('evalue'))[:200]})"
        value = reply.get("user_expressions", {}).get("r", {})
        text = value.get("data", {}).get("text/plain", "") if value.get("status") == "ok" else ""
        text = text.strip("'\"")
        if not text.startswith(nonce + "|"):
            return "the grader's check did not run (the kernel's execution machinery was replaced)"
        changed = [item for item in text[len(nonce) + 1:].split(";") if item]
        if changed:
            self._event(event="restored", index=cell_index, id=cell.get("id"), items=changed[:200])
        stuck = [item for item in changed if item.startswith("STILL RUNNING")]
        if stuck:
            return f"threads started by the submission could not be stopped ({', '.join(stuck)[:200]})"
        return None

    async def _count_leftover(self) -> None:
        reply = await self._guard("None", f"{GUARD}.leftover()")
        value = (reply or {}).get("user_expressions", {}).get("r", {})
        try:
            count = int(value.get("data", {}).get("text/plain", "0"))
        except ValueError:
            return
        if count > 0:
            self._event(event="processes_left", count=count)

    def preprocess_cell(self, cell, resources, index):
        result = super().preprocess_cell(cell, resources, index)
        # After the last cell, while the kernel still runs: count the processes the submission left running
        # (they all end with the sandbox).
        if index == len(self.nb.cells) - 1 and self.sandboxed and self._dead is None and self._started:
            try:
                run_sync(self._count_leftover)()
            except Exception:  # noqa: BLE001 - a dead or tampered kernel: nothing to count
                pass
        return result

    # --- cells -------------------------------------------------------------------------------------------
    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        info = cell.metadata.get("course_grader", {})
        role = info.get("role", "lesson")
        if self._dead is not None:
            cell.outputs = [error_output("NotRun", f"not run: the kernel had stopped in cell {self._dead}")]
            return cell
        try:
            if not self._started:
                self._started = True
                await self._guard(f"{GUARD}.start({json.dumps(list(self.guard_modules))})")
            if role in ("answer", "added", "test") and not self._snapshot:
                self._snapshot = True
                reply = await self._guard(f"{GUARD}.checkpoint([], True)")
                if not reply or reply.get("status") != "ok":
                    self._event(event="guard_error", index=cell_index, id=cell.get("id"),
                                detail=str(reply and reply.get("evalue"))[:300])
            if role == "test":
                problem = await self._restore(cell_index, cell)
                if problem:
                    self._event(event="integrity", index=cell_index, id=cell.get("id"), detail=problem)
                    cell.outputs = [error_output("GraderIntegrityError", f"test not run: {problem}")]
                    return cell
            self._event(event="cell_start", index=cell_index, id=cell.get("id"), role=role)
            try:
                cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            except CellTimeoutError as error:   # no "idle" from the kernel: its messaging was broken
                cell.outputs.append(error_output("CellTimeoutError", str(error).splitlines()[0][:300]))
            if any(output.get("ename") == "CellTimeoutError" for output in cell.outputs):
                self._event(event="timeout", index=cell_index, id=cell.get("id"), role=role)
                if not await self._responds():   # the interrupt did not stop it: stop the kernel
                    self._dead = cell.get("id") or str(cell_index)
                    self._event(event="unresponsive", index=cell_index, id=cell.get("id"), role=role)
                    await ensure_async(self.km.shutdown_kernel(now=True))
                    return cell
            if role == "test":
                shown = [output for output in cell.outputs if output.output_type == "execute_result"]
                if shown:
                    self._event(event="displayed_value", index=cell_index, id=cell.get("id"))
                    cell.outputs = [output for output in cell.outputs if output.output_type != "execute_result"]
                await self._guard(f"{GUARD}.forget()")
            elif role == "lesson":
                await self._guard(f"{GUARD}.checkpoint({json.dumps(info.get('binds', []))})")
            return cell
        except DeadKernelError:
            self._dead = cell.get("id") or str(cell_index)
            self._event(event="kernel_died", index=cell_index, id=cell.get("id"), role=role)
            cell.outputs.append(error_output("KernelDied", "the kernel stopped while running this cell "
                                                           "(os._exit, a crash, or the memory limit)"))
            return cell

    execute_cell = run_sync(async_execute_cell)
