"""Fixtures for the network tests: MyOS booted once per module with QEMU's
restricted user network (the guest reaches only QEMU's gateway; one port of
127.0.0.1 is forwarded in), the `net` and `ping` outputs taken before
`serve` starts, then the OpenAI-compatible API at a base URL. Nothing is
sent anywhere but 127.0.0.1."""
import http.client
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from myos import BUILD
from myos.models import default_model
from myos.serve import Server

IMAGE = Path(os.environ.get("MYOS_IMAGE", BUILD / "myos.img"))
MODEL = default_model().name
# QEMU emulates the CPU in software: short answers.
MAX_TOKENS = 8


@dataclass
class Served:
    server: Server
    base_url: str
    host: str
    port: int
    boot_output: dict = field(default_factory=dict)

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 120) -> tuple[int, dict, bytes]:
        c = self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()


def start(commands: tuple = ("ping 10.0.2.2", "net")) -> Served:
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    server = Server(IMAGE, commands=commands).start()
    return Served(server, server.base_url, "127.0.0.1", server.port, server.outputs)


@pytest.fixture(scope="module")
def served():
    s = start()
    yield s
    s.server.machine.kill()
