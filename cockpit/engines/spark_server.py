"""A local Spark Connect server for trying the Spark engine and for the equivalence tests:
pyspark's own start script (`sbin/start-connect-server.sh --wait`, i.e. `SparkConnectServer` in
the foreground) with `local[2]`, sessions in UTC and TIMESTAMP_NTZ.

Not for production: a real deployment points `COCKPIT_SPARK_REMOTE` at its cluster's Spark
Connect endpoint, configured the same way (UTC session, TIMESTAMP_NTZ; see docs/deployment.md)."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

#: Session settings every engine session needs for DuckDB's meaning of the same SQL: naive
#: timestamps stay naive (TIMESTAMP_NTZ), dates and timestamps are never shifted by a zone, ANSI
#: arithmetic (an overflow or a bad cast is an error, as in DuckDB).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.ansi.enabled": "true",
}


#: A small server for the equivalence suite on a small store (CI: 2 cores, 1.5 GB): a 512 MB heap
#: with the serial collector, one shuffle partition, no adaptive re-planning and interpreted
#: expressions (no Janino code generation). The same results; on small data most of a statement's
#: cost is planning and code generation, which this cuts by about a third of the server's CPU.
#: The JVM compiles with C1 only (`TieredStopAtLevel=1`): a server that lives for a minute spends
#: much of its CPU in the C2 compiler on the planner's code and never earns it back; measured on
#: the suite's statements, a quarter less server CPU in a fresh JVM.
#: No broadcast joins: on the suite's statements the same CPU, about 150 MB less peak memory (no
#: broadcast relations built in the driver's heap).
#: Not for real data sizes, where generated code and C2 pay for themselves.
SMALL_CONF = {
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:ReservedCodeCacheSize=128m -Xss1m -XX:TieredStopAtLevel=1",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
SMALL_DRIVER_MEMORY = "512m"


def spark_home() -> Path:
    """The Spark distribution inside the installed pyspark package."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise RuntimeError("pyspark is not installed: pip install -e '.[spark]' (make install-test does)")
    return Path(spec.origin).parent


def server_command(port: int, driver_memory: str = "1g", conf: dict[str, str] | None = None
                   ) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of a foreground Spark Connect server on loopback `port`; `conf` adds or
    overrides Spark settings."""
    home = spark_home()
    conf = {**SESSION_CONF,
            "spark.connect.grpc.binding.port": str(port),
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "2",
            "spark.driver.memory": driver_memory, **(conf or {})}
    argv = [str(home / "sbin" / "start-connect-server.sh"), "--wait", "--master", "local[2]"]
    for key, value in conf.items():
        argv += ["--conf", f"{key}={value}"]
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1",
           "SPARK_LOG_DIR": os.environ.get("SPARK_LOG_DIR", "/tmp/cockpit-spark-logs"),
           "SPARK_PID_DIR": os.environ.get("SPARK_PID_DIR", "/tmp/cockpit-spark-logs")}
    return argv, env


def wait_for_port(port: int, proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    """Block until the server accepts connections on `port` (or fail with its exit)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Spark Connect server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Spark Connect server did not listen on port {port} within {timeout_s:g} s")


def start(port: int, log: Path | None = None, driver_memory: str = "1g",
          conf: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a local Spark Connect server in its own process group and wait until it listens."""
    argv, env = server_command(port, driver_memory, conf)
    out = log.open("ab") if log is not None else None
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_port(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started by `start` (its whole process group: the script and the JVM)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait()


def serve_foreground(port: int) -> int:
    """`cockpit spark-server`: run the server in the foreground until Ctrl-C, SIGTERM or SIGHUP,
    each of which stops it (the JVM runs in its own process group, so a signal to this process
    alone, from a service manager or `kill`, would otherwise leave it running)."""
    argv, env = server_command(port)
    print(f"==> Spark Connect server on sc://127.0.0.1:{port} (local[2], UTC, TIMESTAMP_NTZ); "
          f"use it with COCKPIT_ENGINE=spark COCKPIT_SPARK_REMOTE=sc://127.0.0.1:{port}", flush=True)

    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    # explicit handlers: started in the background by a shell, SIGINT is ignored by default
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # one stop, however many signals follow
        stop(proc)
        return 0
