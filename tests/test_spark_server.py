"""`cockpit spark-server` (what `make spark` runs): a signal to the command stops the Spark
Connect server it started, not only the command (the JVM runs in its own process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from service_support import free_port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_sigterm_to_cockpit_spark_server_stops_the_server(tmp_path):
    port = free_port()
    cockpit = Path(sys.executable).with_name("cockpit")
    log = (tmp_path / "spark-server.log").open("wb")
    # started as a shell starts a background job: SIGINT ignored, its own process group
    proc = subprocess.Popen([str(cockpit), "spark-server", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # bounded waits, not timing assertions
        while not _listening(port):
            assert proc.poll() is None, (tmp_path / "spark-server.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "the server never listened"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # as a service manager or `kill` stops it
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 60
        while _listening(port):
            assert time.monotonic() < deadline, "the Spark Connect server still listens after the command ended"
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _server_pids(port):  # never leave a JVM behind, whatever failed
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _server_pids(port: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if f"spark.connect.grpc.binding.port={port}".encode() in cmd:
                out.append(int(entry))
    return out
