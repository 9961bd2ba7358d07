"""QEMU driver: boot a MyOS image and talk to it.

The serial console (COM1) is connected to QEMU's stdin/stdout pipes; a reader
thread collects everything the guest prints. The QEMU monitor is reached over
QMP on a unix socket that this module listens on (QEMU connects to it), which
gives `sendkey` (typing on the emulated PS/2 keyboard), `pmemsave` (reading
the VGA text buffer at 0xb8000) and `screendump` (PNG).

    with Machine().boot("build/myos.img") as m:
        print(m.run("mem"))
        print(m.vga_text())
        m.poweroff()
"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import BUILD

PROMPT = "myos> "
PANIC_END = "System halted."
DEBUG_EXIT_PORT = 0xF4
VGA_TEXT = 0xB8000
VGA_COLS, VGA_ROWS = 80, 25
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: the kernel kills QEMU when the thread that
    started it ends, so a crashed test run leaves no emulator behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def debug_exit_status(code: int) -> int:
    """QEMU's exit status when the guest writes `code` to isa-debug-exit."""
    return (code << 1) | 1


# `poweroff` writes 0 to the debug-exit port.
POWEROFF_STATUS = debug_exit_status(0)


class QemuError(Exception):
    pass


class BootTimeout(QemuError):
    pass


class CommandTimeout(QemuError):
    pass


class KernelPanic(QemuError):
    """The guest printed its panic screen; the message holds the serial text."""


# Characters to QEMU key names (qcodes); the shifted ones add "shift".
_PLAIN = {" ": "spc", "\n": "ret", "\t": "tab", "\b": "backspace", "-": "minus",
          "=": "equal", "[": "bracket_left", "]": "bracket_right", ";": "semicolon",
          "'": "apostrophe", "`": "grave_accent", "\\": "backslash", ",": "comma",
          ".": "dot", "/": "slash"}
_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
            "(": "9", ")": "0", "_": "minus", "+": "equal", "{": "bracket_left",
            "}": "bracket_right", ":": "semicolon", '"': "apostrophe", "~": "grave_accent",
            "|": "backslash", "<": "comma", ">": "dot", "?": "slash"}


def char_to_keys(ch: str) -> list[str]:
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return [ch]
    if ch.isascii() and ch.isupper():
        return ["shift", ch.lower()]
    if ch in _PLAIN:
        return [_PLAIN[ch]]
    if ch in _SHIFTED:
        return ["shift", _SHIFTED[ch]]
    raise ValueError(f"no key for {ch!r}")


QEMU_FORBIDDEN_ENV = "MYOS_QEMU_FORBIDDEN"


def network_args(forward: tuple[int, int] | None = None) -> list[str]:
    """QEMU's user network with the e1000 card MyOS drives, restricted: the
    guest reaches QEMU's virtual gateway (DHCP, ping) and nothing beyond;
    forward = (host port, guest port) lets 127.0.0.1:host port in."""
    nic = "user,model=e1000,restrict=on"
    if forward:
        nic += f",hostfwd=tcp:127.0.0.1:{forward[0]}-:{forward[1]}"
    return ["-nic", nic]


def qemu_command(image: Path, memory_mb: int = 512, cpu: str = "max", accel: str = "tcg",
                 snapshot: bool = True, debug_exit: bool = True,
                 display: bool = False, smp: int = 1, forward: tuple[int, int] | None = None) -> list[str]:
    """The QEMU command line shared by tests, `exec`, `run` and `serve` (minus
    the serial and monitor wiring, which the caller adds). With several CPUs
    under software emulation, multi-threaded TCG runs each on its own host
    thread (QEMU's default for x86 on x86, made explicit here)."""
    if os.environ.get(QEMU_FORBIDDEN_ENV):
        # Set by tests/conftest.py for tests without the `qemu` marker, so
        # `pytest -m "not qemu"` really runs without booting anything.
        raise QemuError(f"{os.environ[QEMU_FORBIDDEN_ENV]} boots QEMU but is not marked "
                        "@pytest.mark.qemu")
    if smp < 1:
        raise ValueError(f"smp must be at least 1, got {smp}")
    accel_arg = accel + (",thread=multi" if accel == "tcg" and smp > 1 else "")
    cmd = ["qemu-system-i386", "-accel", accel_arg, "-cpu", cpu, "-m", str(memory_mb),
           "-smp", str(smp),
           "-drive", f"file={image},format=raw,if=ide,index=0,media=disk"
           + (",snapshot=on" if snapshot else "")] + network_args(forward)
    if debug_exit:
        cmd += ["-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"]
    if not display:
        cmd += ["-display", "none"]
    return cmd


class Machine:
    """One QEMU process running MyOS, driven over serial and QMP."""

    def __init__(self, memory_mb: int = 512, cpu: str = "max", accel: str = "tcg",
                 snapshot: bool = True, debug_exit: bool = True, extra_args: tuple = (),
                 smp: int = 1, forward: tuple[int, int] | None = None):
        self.memory_mb = memory_mb
        self.smp = smp
        self.forward = forward
        self.cpu = cpu
        self.accel = accel
        self.snapshot = snapshot
        self.debug_exit = debug_exit
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.boot_seconds: float | None = None
        self._out = bytearray()
        self._pos = 0  # how far wait_for has consumed the serial output
        self._eof = False  # QEMU closed the serial pipe (it has exited)
        self._cond = threading.Condition()
        self._tmp = None
        self._qmp = None
        self._qmp_file = None

    # ------------------------------------------------------------ lifecycle
    def boot(self, image: str | Path | None = None, wait_prompt: bool = True,
             timeout: float = 60) -> "Machine":
        image = Path(image or BUILD / "myos.img")
        if not image.exists():
            raise QemuError(f"{image}: no such image (run `make image`)")
        self._tmp = tempfile.TemporaryDirectory(prefix="myos-qemu-")
        qmp_path = os.path.join(self._tmp.name, "qmp.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(qmp_path)
        listener.listen(1)
        cmd = qemu_command(image, self.memory_mb, self.cpu, self.accel, self.snapshot,
                           self.debug_exit, smp=self.smp, forward=self.forward)
        cmd += ["-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0",
                "-chardev", f"socket,id=qmp,path={qmp_path}", "-mon", "chardev=qmp,mode=control",
                "-monitor", "none"] + self.extra_args
        start = time.monotonic()
        # stderr goes to a file: a pipe nobody reads could fill up and stall QEMU.
        self._stderr_path = os.path.join(self._tmp.name, "qemu.stderr")
        with open(self._stderr_path, "wb") as err:
            # A session of its own: a terminal's Ctrl+C (SIGINT to the
            # foreground process group) is for the Python side, which decides
            # what it means (`serve` stops the guest's server, powers it off).
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, preexec_fn=_die_with_parent, start_new_session=True)
        threading.Thread(target=self._reader, daemon=True).start()
        try:
            self._qmp = self._accept_qmp(listener)
        finally:
            listener.close()
        self._qmp_file = self._qmp.makefile("rw", encoding="utf-8")
        try:
            self._qmp_file.readline()  # greeting
            self.qmp("qmp_capabilities")
        except QemuError:
            self._fail_start()
        if wait_prompt:
            try:
                self.wait_for(re.escape(PROMPT), timeout)
            except QemuError as e:
                self.kill()  # the caller never got the machine: do not leave QEMU behind
                raise BootTimeout(f"no prompt within {timeout} s ({e}); serial output:\n"
                                  + self.transcript) from None
            self.boot_seconds = time.monotonic() - start
        return self

    def _accept_qmp(self, listener: socket.socket) -> socket.socket:
        """QEMU connects to our QMP socket early in its start-up; if it exits
        first, its stderr says why."""
        listener.settimeout(0.2)
        deadline = time.monotonic() + 15
        while True:
            try:
                return listener.accept()[0]
            except socket.timeout:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self._fail_start()

    def _fail_start(self):
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        message = self._stderr_text()
        self.kill()
        raise QemuError(f"QEMU failed to start: {message}")

    def __enter__(self) -> "Machine":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self._qmp_file, self._qmp):
            if f:
                f.close()
        self._qmp_file = self._qmp = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def wait_exit(self, timeout: float = 30) -> int:
        """QEMU's exit status once it has ended."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise QemuError(f"QEMU still running after {timeout} s") from None

    def poweroff(self, timeout: float = 30) -> int:
        """Runs `poweroff` in the shell; returns QEMU's exit status."""
        self.write("poweroff\r")
        return self.wait_exit(timeout)

    def _stderr_text(self) -> str:
        if self.proc and self.proc.poll() is not None:
            return Path(self._stderr_path).read_text(errors="replace").strip()
        return "(QEMU still running)"

    # ------------------------------------------------------------ serial
    def _reader(self) -> None:
        out = self.proc.stdout
        while True:
            data = out.read1(65536)
            with self._cond:
                self._out += data
                self._eof = not data
                self._cond.notify_all()
            if not data:
                return

    @property
    def transcript(self) -> str:
        """Everything the guest sent on the serial line, \\r\\n as \\n."""
        with self._cond:
            return self._out.decode(errors="replace").replace("\r\n", "\n")

    def write(self, text: str) -> None:
        """Sends text to the serial console (a terminal's Enter is "\\r")."""
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except OSError as e:
            raise QemuError(f"cannot write to the serial console: {e}") from None

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match:
        """Waits until the serial output after the last match contains the
        regex; consumes up to the end of the match."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = regex.search(self._out, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CommandTimeout(f"no {pattern!r} on the serial console within {timeout} s")
                if self._eof:
                    self.proc.wait()
                    raise QemuError(f"QEMU exited ({self.proc.returncode}) while waiting for "
                                    f"{pattern!r}: {self._stderr_text()}")
                self._cond.wait(min(left, 0.5))

    def run(self, command: str, timeout: float = 30) -> str:
        """Types a command line on the serial console and returns what it
        printed up to the next prompt (without the echoed command)."""
        self.write(command + "\r")
        done = re.compile(re.escape(PROMPT.encode()) + b"|" + re.escape(PANIC_END.encode()))
        start = self._pos
        m = self.wait_for(done.pattern.decode(), timeout)
        with self._cond:
            text = self._out[start:m.start()].decode(errors="replace").replace("\r\n", "\n")
        # The first line is the line editor's echo of the command.
        _, _, output = text.partition("\n")
        if m.group(0).decode() == PANIC_END:
            raise KernelPanic(output + PANIC_END + "\n")
        return output

    # ------------------------------------------------------------ monitor
    def qmp(self, command: str, **arguments) -> object:
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        try:
            self._qmp_file.write(json.dumps(msg) + "\n")
            self._qmp_file.flush()
        except OSError as e:
            raise QemuError(f"QMP {command}: {e}") from None
        while True:
            try:
                line = self._qmp_file.readline()
            except OSError:
                line = ""
            if not line:
                raise QemuError(f"QMP connection closed during {command}")
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QemuError(f"QMP {command}: {reply['error'].get('desc')}")
            # anything else is an asynchronous event: skip it

    def hmp(self, command_line: str) -> str:
        """A human-monitor command, e.g. `info registers`."""
        return self.qmp("human-monitor-command", **{"command-line": command_line})

    def sendkey(self, *keys: str, hold_ms: int = 30) -> None:
        """Presses the keys together (QEMU key names: "a", "ret", "up", "ctrl", ...)."""
        self.qmp("send-key", keys=[{"type": "qcode", "data": k} for k in keys],
                 **{"hold-time": hold_ms})

    def sendkeys(self, text: str, hold_ms: int = 30) -> None:
        """Types text on the PS/2 keyboard, one key press per character."""
        for ch in text:
            self.sendkey(*char_to_keys(ch), hold_ms=hold_ms)

    def vga_raw(self) -> bytes:
        """The 80x25 text buffer: character and attribute bytes."""
        path = os.path.join(self._tmp.name, "vga.bin")
        self.qmp("pmemsave", val=VGA_TEXT, size=VGA_COLS * VGA_ROWS * 2, filename=path)
        return Path(path).read_bytes()

    def vga_text(self) -> list[str]:
        """The screen's 25 lines, trailing blanks removed."""
        chars = self.vga_raw()[0::2].decode("cp437")
        return [chars[r * VGA_COLS:(r + 1) * VGA_COLS].rstrip() for r in range(VGA_ROWS)]

    def vga_attributes(self) -> bytes:
        return self.vga_raw()[1::2]

    def screendump(self, path: str | Path) -> Path:
        """A PNG picture of the screen."""
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.qmp("screendump", filename=str(path), format="png")
        return path


def kvm_usable(image: Path, timeout: float = 20) -> bool:
    """KVM only counts when a guest really boots with it: on some hosts
    /dev/kvm exists but the guest hangs."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK) or shutil.which("qemu-system-i386") is None:
        return False
    try:
        with Machine(accel="kvm", cpu="host").boot(image, timeout=timeout):
            return True
    except QemuError:
        return False
