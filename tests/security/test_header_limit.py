"""A 64 MB header (issue 19: a single unauthenticated request took intake to 476 MB and was
forwarded upstream): every service, a real process, answers 431 while the head arrives, without
its memory growing by the header's size, and the gateway forwards nothing."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from security.conftest import SETTINGS, start_platform, stop_platform

from harness import SERVICES, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

HUGE = 64 * 1024 * 1024
MIB = 1024 * 1024


def status_of(process_id: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak since the last reset) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{process_id}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def reset_peak(process_id: int) -> None:
    Path(f"/proc/{process_id}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


def send_huge_header(port: int, path: str) -> bytes:
    """GET `path` with a 64 MB Authorization header over a raw socket: the header is sent in
    pieces until the server answers or closes; then the answer is read to its end."""
    head = (
        f"GET {path} HTTP/1.1\r\nhost: sipokat\r\naccept-language: id\r\nauthorization: Bearer "
    ).encode()
    piece = b"a" * (256 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
            sent = 0
            sock.setblocking(False)
            while sent < HUGE:
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break  # answered before the header ended
                except BlockingIOError:
                    pass
                sock.setblocking(True)
                sock.sendall(piece)
                sock.setblocking(False)
                sent += len(piece)
            else:
                sock.setblocking(True)
                sock.sendall(b"\r\n\r\n")
        sock.setblocking(True)
        received = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
    return received


def assert_431_problem(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].startswith(b"HTTP/1.1 431 "), answer[:300]
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert problem["status"] == 431
    assert problem["title"] == "Header permintaan terlalu besar"


@pytest.mark.parametrize("service", SERVICES)
def test_a_64_mb_header_is_431_without_the_memory_for_it(secured: Platform, service: str) -> None:
    process_id = secured.processes[service].pid
    reset_peak(process_id)
    before = status_of(process_id)["VmRSS"]
    answer = send_huge_header(secured.ports[service], "/health/live")
    peak = status_of(process_id)["VmHWM"]
    assert_431_problem(answer)
    assert peak - before < 16 * MIB, f"{service} grew by {(peak - before) / MIB:.0f} MiB"


class RecordingUpstream(threading.Thread):
    """A TCP listener standing in for verification: it counts the bytes anyone sends it."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.received = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with connection:
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    while chunk := connection.recv(65536):
                        self.received += len(chunk)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.server.close()


@pytest.fixture(scope="module")
def gateway_before_a_recorder(
    rabbitmq_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Platform, RecordingUpstream]]:
    upstream = RecordingUpstream()
    upstream.start()
    settings = {**SETTINGS, "SIPOKAT_VERIFICATION_URL": f"http://127.0.0.1:{upstream.port}"}
    platform = start_platform(
        rabbitmq_url, tmp_path_factory.mktemp("header-gateway"), settings, "intake"
    )
    try:
        yield platform, upstream
    finally:
        stop_platform(platform, rabbitmq_url)
        upstream.stop()


def test_the_gateway_forwards_no_oversized_header(
    gateway_before_a_recorder: tuple[Platform, RecordingUpstream],
) -> None:
    platform, upstream = gateway_before_a_recorder
    answer = send_huge_header(platform.ports["intake"], "/v1/verification/queue")
    assert_431_problem(answer)
    assert (upstream.connections, upstream.received) == (0, 0)
