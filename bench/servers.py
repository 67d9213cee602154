"""The servers the benchmark compares, one at a time, all on loopback: the cockpit under gunicorn
with `make run`'s settings (2 workers × 4 threads) and the two baseline Dash apps, served the same
way. Also the memory of a server's workers (PSS from /proc/<pid>/smaps_rollup)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
THREADS = 4
#: name -> (gunicorn app, what it is)
TARGETS = {
    "cockpit": ("app:server", "治理驾驶舱 cockpit (cache on)"),
    "duckdb": ("bench.baseline_duckdb:create_server()", "baseline: DuckDB query per callback"),
    "pandas": ("bench.baseline_pandas:create_server()", "baseline: pandas DataFrame in memory"),
}


#: The cockpit's gunicorn settings, as `make run` passes them (its master imports the libraries
#: before forking); the baselines are run as ordinary Dash apps, without.
CONF = ["-c", "python:cockpit.web.gunicorn_conf"]
#: What a baseline worker prints once its data is loaded.
READY_LINE = "bench baseline ready in worker"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path
    started_s: float = 0.0
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start(name: str, store: Path, snapshot: Path, work: Path, *, cache: str = "FileSystemCache",
          boot_timeout_s: float = 900) -> Server:
    """Start `name` (a key of TARGETS) on a free port and wait until its page answers."""
    app, _ = TARGETS[name]
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    cache_dir = work / f"cache-{name}-{cache}-{port}"
    env = {**os.environ, "COCKPIT_STORE": str(store), "COCKPIT_AUTH": "off", "COCKPIT_CACHE_TYPE": cache,
           "COCKPIT_CACHE_DIR": str(cache_dir), "COCKPIT_ACCOUNTS_DB": str(work / "accounts.db"),
           "BENCH_SNAPSHOT": str(snapshot), "PYTHONPATH": str(ROOT)}
    log = work / f"{name}-{port}.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
                                 "--threads", str(THREADS), "--timeout", "600", "--keep-alive", "75",
                                 *(CONF if name == "cockpit" else []), app],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + boot_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log}")
        # The baselines load their data in each worker and say so (READY_LINE); the cockpit's
        # workers open the store lazily, so one answer is enough there.
        booted = name == "cockpit" or log.read_text(errors="replace").count(READY_LINE) >= WORKERS
        try:
            if booted:
                urllib.request.urlopen(server.url + "/", timeout=30).read()
                server.started_s = time.perf_counter() - t0
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {boot_timeout_s:.0f} s; see {log}")


def worker_pids(server: Server) -> list[int]:
    """The gunicorn workers' pids (the children of the master)."""
    try:
        text = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def pss_mb(pid: int) -> float:
    """Proportional set size of one process in MiB (shared pages split between their users)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def workers_pss_mb(server: Server) -> float:
    """PSS of all the server's workers together, MiB."""
    return sum(pss_mb(p) for p in worker_pids(server))
