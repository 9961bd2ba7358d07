"""`python -m myos serve`: MyOS as an OpenAI-compatible server on this machine.

Boots the image headless with QEMU's user network (restricted: the guest
reaches nothing beyond QEMU's virtual gateway) and 127.0.0.1:PORT forwarded
to the guest's port 8080, optionally picks a model, starts the shell's
`serve`, waits until GET /health answers and prints the base URL. The
guest's request lines follow on stdout; Ctrl+C stops the server, powers the
guest off and exits.

    with Server(port=8080) as s:
        openai.OpenAI(base_url=s.base_url, api_key="none")...
"""
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .qemu import POWEROFF_STATUS, Machine, QemuError

GUEST_PORT = 8080
SERVING = re.compile(r"serving (\S+) on http://\S+ \(Ctrl\+C stops\)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise QemuError(f"{url}/health did not answer within {timeout} s")
        time.sleep(0.2)


class Server:
    """A booted MyOS running `serve`, reachable at base_url; `commands` run in
    the shell first (their outputs kept in `outputs`)."""

    def __init__(self, image: str | Path | None = None, port: int | None = None, model: str | None = None,
                 smp: int = 1, memory_mb: int = 512, commands: tuple = ()):
        self.port = port or free_port()
        self.model = model
        self.commands = commands
        self.machine = Machine(memory_mb=memory_mb, smp=smp, forward=(self.port, GUEST_PORT))
        self.image = image
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/v1"
        self.served_model = None
        self.outputs: dict[str, str] = {}  # what each of `commands` printed

    def start(self, timeout: float = 300) -> "Server":
        m = self.machine
        m.boot(self.image)
        try:
            if self.model:
                out = m.run(f"model {self.model}", timeout)
                if any(line.startswith("error:") for line in out.splitlines()):
                    raise QemuError(f"model {self.model}: {out.strip()}")
            for command in self.commands:
                self.outputs[command] = m.run(command, timeout)
            m.write("serve\r")
            served = m.wait_for(SERVING.pattern + "|error: [^\n]*", timeout)
            if not served.group(0).startswith(b"serving"):
                raise QemuError(f"serve: {served.group(0).decode().strip()}")
            self.served_model = served.group(1).decode()
            wait_health(self.root, timeout)
        except BaseException:
            m.kill()
            raise
        return self

    def stop(self, timeout: float = 60) -> int:
        """Ctrl+C to `serve`, then power off; QEMU's exit status."""
        m = self.machine
        try:
            m.write("\x03")
            m.wait_for("stopped serving", timeout)
            return m.poweroff()
        except QemuError:
            m.kill()
            return -1

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(args) -> int:
    server = Server(args.image, args.port, args.model, args.smp, args.memory)
    print(f"booting MyOS (QEMU, user network, 127.0.0.1:{server.port} -> guest port {GUEST_PORT}) ...",
          flush=True)
    try:
        server.start()
    except QemuError as e:
        print(f"myos serve: {e}", file=sys.stderr)
        return 2
    print(f"MyOS serves {server.served_model} at {server.base_url} (Ctrl+C stops)", flush=True)
    # Ctrl+C only sets a flag: a KeyboardInterrupt raised at a random point
    # could leave the machine's transcript lock taken (an exception between
    # its acquisition and the `with` block), and stop() would wait on it forever.
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        shown = len(server.machine.transcript)
        while not interrupted.is_set():
            if server.machine.proc.poll() is not None:
                print("myos serve: QEMU exited", file=sys.stderr)
                return 2
            text = server.machine.transcript
            if len(text) > shown:
                sys.stdout.write(text[shown:])
                sys.stdout.flush()
                shown = len(text)
            interrupted.wait(0.2)
        print("\nstopping", flush=True)
        status = server.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.stdout.write(server.machine.transcript[shown:])
    return 0 if status == POWEROFF_STATUS else 2
