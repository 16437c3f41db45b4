"""Run untrusted code (a student's kernel) in a sandbox made with bubblewrap, resource limits and cgroups.

What the sandbox is (see "What the sandbox guarantees" in README.md):

* **bubblewrap** (``bwrap``, Debian/Ubuntu package ``bubblewrap``) puts the process in new user, mount, PID,
  network, IPC and UTS namespaces. Its file system is a fresh, empty root in which only these are visible:
  the operating system's programs and libraries (``/usr``), the Python installation and virtual environment,
  the folders of the packages a lesson imports (for this course: ``course/``), all **read-only**; two small
  private, writable, size-limited ``tmpfs`` folders (``/tmp`` and the home ``/home/student``, where the
  student's own notebook is the only file); and the folder of the kernel's connection sockets. Nothing else:
  no nbgrader ``source/`` (hidden tests), no gradebook, no other student's files, no grader configuration,
  no ``/etc`` beyond a synthetic user list, no network (not even loopback to the host), no view of the host's
  processes. ``--die-with-parent`` and the PID namespace end every process of the submission with its kernel.
* **resource limits** (``setrlimit``) on every process of the submission: address space, number of
  processes/threads (counted inside the submission's own user namespace), CPU seconds, size of any file
  written, no core dumps.
* **cgroups** when the grader runs as root and a cgroup hierarchy is writable (cgroup v1 or v2): one memory
  cgroup and one pids cgroup per submission bound the *total* memory and number of tasks of the submission,
  whatever it forks; the grader reads from them whether the memory limit was hit and kills what is left.
  Without them the memory limit holds per process only (documented by :func:`probe`).

The grader runs the kernel through a Jupyter kernelspec whose command is ``python sandbox.py launch JOB.json
{connection_file}``: this module, run by the grader's own Python *outside* the sandbox, joins the cgroups,
sets the limits and ``exec``\\ s bubblewrap, which starts ``sandbox_kernel.py`` inside.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADER = Path(__file__).resolve().parent
INNER_DIR = "/opt/course-grader"          # where sandbox_kernel.py and guard.py are mounted inside
HOME = "/home/student"
GIB = 1024 ** 3
MIB = 1024 ** 2


@dataclass
class Limits:
    """Per-submission limits. ``memory`` is bytes; times are seconds."""

    memory: int = 4 * GIB            # cgroup (all processes together) and address space of each process
    processes: int = 256             # tasks, threads included (torch and ipykernel start ~20)
    wall_seconds: int = 600          # the whole submission, kernel start included
    cell_seconds: int = 180          # one cell
    output_bytes: int = 16 * MIB     # all outputs of the notebook together, as received by the grader
    file_bytes: int = 256 * MIB      # any one file written
    tmpfs_bytes: int = 512 * MIB     # each of /tmp and the home folder
    threads: int = 1                 # OMP/MKL threads of the kernel: the same for every run (reproducible)

    @property
    def cpu_seconds(self) -> int:
        return 4 * self.wall_seconds

    def address_space(self, cgroup: bool) -> int:
        """Bound on each process's virtual memory. Virtual is not real memory: torch and its threads
        reserve far more than they touch (a lesson-04 kernel: ~1.2 GB reserved for 0.4 GB used). With a
        cgroup bounding real memory this is only a backstop; without one it is the memory limit itself."""
        return self.memory + (6 if cgroup else 2) * GIB


@dataclass
class SandboxInfo:
    """What this machine can do; ``available`` is False (with ``reason``) when bubblewrap cannot run."""

    available: bool
    reason: str = ""
    bwrap: str = ""
    version: str = ""
    cgroup: str = ""                  # "v1", "v2" or "" (none: limits per process only)
    cgroup_roots: dict = field(default_factory=dict)

    def describe(self) -> str:
        if not self.available:
            return f"NO SANDBOX: {self.reason}"
        totals = (f"cgroup {self.cgroup} (memory and processes bounded per submission)" if self.cgroup else
                  "no writable cgroup (memory bounded per process only: run as root for a total bound)")
        return (f"bubblewrap {self.version}: user, mount, PID, network, IPC namespaces; read-only system; "
                f"rlimits; {totals}")


NO_BWRAP_HELP = ("bubblewrap is not installed: `sudo apt-get install bubblewrap` (Debian/Ubuntu), "
                 "`sudo dnf install bubblewrap` (Fedora) or see https://github.com/containers/bubblewrap")


def _cgroup_roots() -> tuple[str, dict]:
    """Writable cgroup folders for the grader's per-submission groups, or ("", {})."""
    if os.geteuid() != 0:
        return "", {}
    base = Path("/sys/fs/cgroup")
    v1 = {name: base / name for name in ("memory", "pids")}
    if all((path / "cgroup.procs").is_file() for path in v1.values()):
        roots = {}
        try:
            for name, path in v1.items():
                root = path / "course-grader"
                root.mkdir(exist_ok=True)
                roots[name] = str(root)
            if (Path(roots["memory"]) / "memory.limit_in_bytes").is_file():
                return "v1", roots
        except OSError:
            pass
    controllers = base / "cgroup.controllers"
    if controllers.is_file() and {"memory", "pids"} <= set(controllers.read_text().split()):
        try:
            root = base / "course-grader"
            root.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+memory +pids")
            (root / "cgroup.subtree_control").write_text("+memory +pids")
            return "v2", {"memory": str(root), "pids": str(root)}
        except OSError:
            pass
    return "", {}


_PROBED: SandboxInfo | None = None


def probe(refresh: bool = False) -> SandboxInfo:
    """Check, by starting one, that a bubblewrap sandbox works here; find writable cgroups."""
    global _PROBED
    if _PROBED is not None and not refresh:
        return _PROBED
    bwrap = shutil.which("bwrap")
    if not bwrap:
        _PROBED = SandboxInfo(False, NO_BWRAP_HELP)
        return _PROBED
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.split()[-1:]
    info = SandboxInfo(True, bwrap=bwrap, version=(version or ["?"])[0])
    import tempfile

    with tempfile.TemporaryDirectory(prefix="course-sandbox-") as folder:
        command = bwrap_command(info, Limits(), runtime_dir=None, env={}, notebook=None, job_dir=Path(folder),
                                inner=[sys.executable, "-s", "-c", "import sys; print('sandbox ok')"])
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
            ok = result.returncode == 0 and "sandbox ok" in result.stdout
            detail = (result.stderr or result.stdout).strip()[-300:]
        except (OSError, subprocess.TimeoutExpired) as error:
            ok, detail = False, str(error)
    if not ok:
        _PROBED = SandboxInfo(False, f"bubblewrap is installed but cannot create its namespaces here ({detail}); "
                                     "unprivileged user namespaces may be disabled (sysctl "
                                     "kernel.unprivileged_userns_clone=1, or an AppArmor/SELinux policy), or a "
                                     "container forbids them", bwrap=bwrap, version=info.version)
        return _PROBED
    info.cgroup, info.cgroup_roots = _cgroup_roots()
    _PROBED = info
    return info


# --- the file system the sandbox sees ----------------------------------------------------------------------

def _python_roots() -> list[str]:
    """Read-only folders the kernel's Python needs: the installation, the venv, packages installed elsewhere."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}
    exe = Path(sys.executable)
    roots.add(str(exe.parent))
    roots.add(str(Path(os.path.realpath(exe)).parent.parent))
    import importlib.util

    for name in ("course",):
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            roots.update(str(Path(location).resolve()) for location in spec.submodule_search_locations)
    # Keep only the outermost folders, and never the system's own (bound separately) or the grader's folder.
    chosen: list[str] = []
    for root in sorted(roots, key=len):
        if root.startswith("/usr/") or root in ("/", "/usr") or not Path(root).exists():
            continue
        if any(root == parent or root.startswith(parent + "/") for parent in chosen):
            continue
        chosen.append(root)
    grader = str(GRADER)
    for root in chosen:
        if grader == root or grader.startswith(root + "/"):
            raise RuntimeError(f"the sandbox would expose the grader's folder {grader} through {root}")
    return chosen


def _system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            args += ["--ro-bind", str(path), f"/{name}"]
    for name in ("ld.so.cache", "localtime", "nsswitch.conf"):
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def sandbox_env(limits: Limits, extra: dict | None = None) -> dict:
    """The whole environment of the sandboxed kernel (nothing is inherited from the grader)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": str(limits.threads), "MKL_NUM_THREADS": str(limits.threads),
        "OPENBLAS_NUM_THREADS": str(limits.threads),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": f"{HOME}/.cache/huggingface",
        "MPLCONFIGDIR": f"{HOME}/.config/matplotlib", "IPYTHONDIR": f"{HOME}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter", "JUPYTER_DATA_DIR": f"{HOME}/.local/share/jupyter",
        "NBGRADER_EXECUTION": "autograde", "COURSE_STATIC_FIGURES": "1", "TQDM_DISABLE": "1",
    }
    env.update(extra or {})
    return env


def bwrap_command(info: SandboxInfo, limits: Limits, *, runtime_dir: str | None, env: dict,
                  notebook: tuple[str, str] | None, job_dir: Path, inner: list[str]) -> list[str]:
    """The bubblewrap command line that runs ``inner`` isolated (see the module's docstring)."""
    passwd, group = job_dir / "passwd", job_dir / "group"
    uid, gid = os.getuid(), os.getgid()
    passwd.write_text(f"student:x:{uid}:{gid}:student:{HOME}:/bin/false\n")
    group.write_text(f"student:x:{gid}:\n")
    args = [info.bwrap or "bwrap",
            "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--clearenv", *_system_args(),
            "--ro-bind", str(passwd), "/etc/passwd", "--ro-bind", str(group), "/etc/group",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
            "--size", str(limits.tmpfs_bytes), "--tmpfs", "/dev/shm",
            "--size", str(limits.tmpfs_bytes), "--tmpfs", HOME]
    for root in _python_roots():
        args += ["--ro-bind", root, root]
    for name in ("sandbox_kernel.py", "guard.py"):
        args += ["--ro-bind", str(GRADER / name), f"{INNER_DIR}/{name}"]
    if runtime_dir:
        args += ["--bind", runtime_dir, runtime_dir]
    if notebook:
        source, name = notebook
        args += ["--ro-bind", source, f"{HOME}/{name}"]
    for key, value in sandbox_env(limits, env).items():
        args += ["--setenv", key, value]
    args += ["--chdir", HOME, "--", *inner]
    return args


# --- cgroups ------------------------------------------------------------------------------------------------

class Cgroup:
    """One submission's memory and pids cgroups (v1 or v2), made by the grader, joined by the launcher."""

    def __init__(self, info: SandboxInfo, name: str, limits: Limits):
        self.kind = info.cgroup
        self.paths = {kind: Path(root) / name for kind, root in info.cgroup_roots.items()} if self.kind else {}
        for path in set(self.paths.values()):
            path.mkdir(exist_ok=True)
        if self.kind == "v1":
            memory = self.paths["memory"]
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
            try:   # also bound swap, where swap accounting exists
                (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
            except OSError:
                pass
            (self.paths["pids"] / "pids.max").write_text(str(limits.processes))
        elif self.kind == "v2":
            path = self.paths["memory"]
            (path / "memory.max").write_text(str(limits.memory))
            try:
                (path / "memory.swap.max").write_text("0")
            except OSError:
                pass
            (path / "pids.max").write_text(str(limits.processes))

    def to_json(self) -> list[str]:
        return sorted({str(path) for path in self.paths.values()})

    def memory_limit_hit(self) -> bool:
        try:
            if self.kind == "v1":
                memory = self.paths["memory"]
                if int((memory / "memory.failcnt").read_text()) > 0:
                    return True
                control = (memory / "memory.oom_control").read_text()
                return any(line.startswith("oom_kill ") and int(line.split()[1]) > 0 for line in control.splitlines())
            if self.kind == "v2":
                events = (self.paths["memory"] / "memory.events").read_text()
                return any(line.split()[0] in ("oom", "oom_kill", "max") and int(line.split()[1]) > 0
                           for line in events.splitlines())
        except (OSError, ValueError, IndexError):
            pass
        return False

    def pids(self) -> list[int]:
        found = set()
        for path in self.paths.values():
            try:
                found.update(int(pid) for pid in (path / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(found)

    def kill_and_remove(self) -> list[int]:
        """Kill whatever is left in the groups; remove them. Returns the processes that had to be killed."""
        leftover = self.pids()
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for path in set(self.paths.values()):
            for _ in range(20):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        return leftover


# --- the launcher: run by Jupyter as the kernel's command -------------------------------------------------

def set_limits(limits: Limits, isolated: bool = True, cgroup: bool = False) -> None:
    """Resource limits, inherited by every process of the submission. The process count is per user: only
    meaningful in the sandbox's own user namespace, so it is left alone without the sandbox."""
    chosen = [(resource.RLIMIT_AS, limits.address_space(cgroup)), (resource.RLIMIT_CPU, limits.cpu_seconds),
              (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)]
    if isolated:
        chosen.append((resource.RLIMIT_NPROC, limits.processes))
    for kind, value in chosen:
        resource.setrlimit(kind, (value, value))


def write_job(path: Path, *, info: SandboxInfo, limits: Limits, runtime_dir: str, cgroup: list[str],
              notebook: tuple[str, str] | None, log: str, home: str) -> None:
    """The launcher's instructions for one submission (read by :func:`launch`)."""
    path.write_text(json.dumps({"info": asdict(info), "limits": asdict(limits), "runtime_dir": runtime_dir,
                                "cgroup": cgroup, "notebook": notebook, "log": log, "home": home}))


def launch(job_file: str, kernel_args: list[str]) -> None:
    """Join the submission's cgroups, set its limits, and become bubblewrap running the sandboxed kernel."""
    job = json.loads(Path(job_file).read_text())
    Path(job_file + ".pid").write_text(str(os.getpid()))   # the grader kills it if it outlives grading
    info, limits = SandboxInfo(**job["info"]), Limits(**job["limits"])
    for group in job["cgroup"]:
        Path(group, "cgroup.procs").write_text(str(os.getpid()))
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    if not info.available:    # --no-sandbox: the same kernel and limits, without isolation
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG: die with nbgrader
        set_limits(limits, isolated=False)
        os.chdir(job["home"])
        os.execv(sys.executable, [sys.executable, "-s", "-B", str(GRADER / "sandbox_kernel.py"), *kernel_args])
    inner = [sys.executable, "-s", "-B", f"{INNER_DIR}/sandbox_kernel.py", *kernel_args]
    command = bwrap_command(info, limits, runtime_dir=job["runtime_dir"], env={},
                            notebook=tuple(job["notebook"]) if job["notebook"] else None,
                            job_dir=Path(job_file).parent, inner=inner)
    set_limits(limits, cgroup=bool(job["cgroup"]))
    os.execv(command[0], command)


def run_isolated(code: str, limits: Limits | None = None, job_dir: Path | None = None, timeout: float = 60,
                 cgroup_name: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in the same sandbox as a kernel (without the kernel); for tests and checks."""
    import tempfile

    info = probe()
    if not info.available:
        raise RuntimeError(info.reason)
    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="course-sandbox-") as folder:
        job_dir = Path(folder)
        command = bwrap_command(info, limits, runtime_dir=None, env={}, notebook=None, job_dir=job_dir,
                                inner=[sys.executable, "-s", "-B", "-c", code])
        group = Cgroup(info, cgroup_name or f"check-{os.getpid()}-{time.monotonic_ns()}", limits) \
            if info.cgroup else None

        def prepare() -> None:
            if group:
                for path in group.to_json():
                    Path(path, "cgroup.procs").write_text(str(os.getpid()))
            set_limits(limits, cgroup=group is not None)

        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=prepare)
        finally:
            if group:
                group.kill_and_remove()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "launch":
        launch(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 2 and sys.argv[1] == "probe":
        print(probe().describe())
    else:
        sys.exit("usage: sandbox.py probe | sandbox.py launch JOB.json KERNEL_ARGS...")
