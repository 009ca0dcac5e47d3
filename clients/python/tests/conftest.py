"""Starts the real BertIgGrpc server for the test session: loopback ports the system picks, a temporary
cache directory, wait for grpc.health.v1 SERVING, stop it afterwards."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Iterator
from pathlib import Path

import pytest

PYTHON_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PYTHON_ROOT))
import build_protos  # noqa: E402

# Stubs are generated from protos/ at test time, never committed.
build_protos.generate()

import grpc  # noqa: E402

from bertig_client import Client  # noqa: E402
from bertig_client._gen.grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402


def _repo_root() -> Path:
    for directory in PYTHON_ROOT.parents:
        if (directory / "BertIgGrpc.sln").is_file():
            return directory
    raise RuntimeError(f"BertIgGrpc.sln not found above {PYTHON_ROOT}")


# Both endpoints bind port 0 (the system picks free ports as Kestrel binds, no pick-then-bind race) and the ports are
# read back from the server's "Now listening on:" lines. Kestrel binds configured endpoints in key order ("Grpc"
# before "Http"), so the first line is the gRPC endpoint; the health check over it confirms that.
LISTENING = re.compile(r"Now listening on: (http://\S+)")


def _server_command(root: Path) -> tuple[list[str], Path]:
    """BERTIG_SERVER_DLL, else the Debug build output, else `dotnet run` (builds on first use)."""
    dll = Path(os.environ.get("BERTIG_SERVER_DLL",
                              root / "src/BertIgGrpc.Server/bin/Debug/net10.0/BertIgGrpc.Server.dll"))
    if dll.is_file():
        return ["dotnet", str(dll.resolve())], dll.resolve().parent
    return ["dotnet", "run", "--project", str(root / "src/BertIgGrpc.Server"), "--"], root


def _wait_listening(listening: list[str], process: subprocess.Popen, timeout_s: float) -> str:
    """The gRPC endpoint's host:port, once the server has logged both bound addresses."""
    deadline = time.monotonic() + timeout_s
    while len(listening) < 2:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not log its two addresses within {timeout_s:.0f}s (got {listening})")
        time.sleep(0.1)
    return listening[0].removeprefix("http://")


def _wait_serving(address: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early with code {process.returncode}")
            try:
                status = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
            except grpc.RpcError as error:
                last = f"{error.code().name}: {error.details()}"
            time.sleep(0.5)
    raise RuntimeError(f"server not SERVING after {timeout_s:.0f}s (last: {last})")


REFERENCE_MODEL = "captum-minilm-meanpool"


def reference_model_dir() -> Path | None:
    """Where the C# harness (tests/BertIgGrpc.Clients.Tests) wrote the classifier Captum's reference vectors were
    computed on (model.onnx, vocab.txt); None when the suite runs without it."""
    directory = os.environ.get("BERTIG_REFERENCE_MODEL_DIR")
    return Path(directory) if directory else None


def _reference_model_settings() -> list[str]:
    """Loads the reference classifier as a second model; the embedded one stays the default."""
    directory = reference_model_dir()
    if directory is None:
        return []
    return [f"--BertIg:Models:0:Name={REFERENCE_MODEL}",
            f"--BertIg:Models:0:Path={directory / 'model.onnx'}",
            f"--BertIg:Models:0:Vocab={directory / 'vocab.txt'}",
            "--BertIg:Models:0:Labels:0=negative",
            "--BertIg:Models:0:Labels:1=positive",
            "--BertIg:DefaultModel=minilm-sentiment"]


@contextlib.contextmanager
def start_server(*extra_args: str) -> Iterator[str]:
    """Runs the real server (with ``extra_args``, e.g. security settings) until the block ends; yields host:port."""
    root = _repo_root()
    shared_cache = os.environ.get("BERTIG_TEST_CACHE_DIR")  # lets suites share one model build
    cache_dir = shared_cache or tempfile.mkdtemp(prefix="bertig-py-cache-")
    command, cwd = _server_command(root)
    process = subprocess.Popen(
        [*command,
         "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
         "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
         f"--BertIg:CacheDirectory={cache_dir}",
         *_reference_model_settings(),
         *extra_args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    output: collections.deque[bytes] = collections.deque(maxlen=300)
    listening: list[str] = []

    def drain() -> None:
        # Drain the pipe so the server never blocks on a full buffer; keep the tail for failures.
        for line in iter(process.stdout.readline, b""):
            output.append(line)
            match = LISTENING.search(line.decode(errors="replace"))
            if match:
                listening.append(match.group(1))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        timeout_s = float(os.environ.get("BERTIG_SERVER_START_TIMEOUT_S", "300"))
        address = _wait_listening(listening, process, timeout_s)
        _wait_serving(address, process, timeout_s)
        yield address
    except RuntimeError as error:
        tail = b"".join(output).decode(errors="replace")[-6000:]
        raise RuntimeError(f"{error}\n--- server output (tail) ---\n{tail}") from None
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if shared_cache is None:
            shutil.rmtree(cache_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server_address() -> Iterator[str]:
    with start_server() as address:
        yield address


@pytest.fixture()
def client(server_address: str):
    with Client(server_address, timeout=120) as c:
        yield c
