"""A soak of the OS in the manner of xv6's usertests: for a set time, random
shell commands with random valid and invalid arguments (files written,
appended, listed, checksummed and deleted; settings set to good and bad
values; junk lines), `ai` with random settings and a few tokens, model
reloads, and Ctrl+C at random moments of long commands. After every command
the shell must answer and the heap must be back at its level (measured once
the model is loaded); at the end the files must be what the commands made of
them, as mtools reads them, and fsck.fat must find nothing to fix.

Everything random comes from one seed, printed with the result, so a failure
can be replayed."""
from __future__ import annotations

import random
import re
import string
import time
import zlib
from dataclasses import dataclass, field

from myos.models import default_model
from myos.qemu import Machine

MODEL = default_model().name
FILES = [f"/SOAK/F{i}.TXT" for i in range(4)] + ["/SOAK/a-rather-long-file-name.txt"]
SETTINGS = {
    "temperature": (lambda r: f"{r.uniform(0, 2):.2f}", ["-1", "abc", "1e9", "nan", "0x10", ""]),
    "top_k": (lambda r: str(r.randint(0, 100)), ["-5", "4.5", "999999999999", "k"]),
    "top_p": (lambda r: f"{r.uniform(0.05, 1):.2f}", ["2", "-0.1", "p"]),
    "min_p": (lambda r: f"{r.uniform(0, 0.5):.2f}", ["1.5", "x"]),
    "repeat_penalty": (lambda r: f"{r.uniform(1, 1.5):.2f}", ["0", "-2", "r"]),
    "seed": (lambda r: str(r.randint(0, 2 ** 31)), ["-1", "s", "1.5"]),
    "max_tokens": (lambda r: str(r.randint(1, 6)), ["-2", "-3", "big", "99999999"]),
}
# ASCII only: the line editor drops other bytes typed on the serial line.
WORDS = "the a penguin brave little story tell me about why how sky blue code x 42 ;|*& {} $HOME".split()


@dataclass
class Report:
    seed: int
    seconds: float = 0.0
    commands: int = 0
    ai_runs: int = 0
    interrupts: int = 0
    errors_reported: int = 0
    kinds: dict = field(default_factory=dict)

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.kinds.items()))
        return (f"soak: seed {self.seed}, {self.seconds:.0f} s, {self.commands} commands "
                f"({self.ai_runs} ai, {self.interrupts} Ctrl+C, {self.errors_reported} "
                f"'error:' answers): {kinds}")


class Soak:
    def __init__(self, machine: Machine, seed: int):
        self.m = machine
        self.r = random.Random(seed)
        self.report = Report(seed)
        self.files: dict[str, bytes] = {}     # what /SOAK should hold
        # Heap use with the model loaded, without (False) and with (True) the
        # session the first answer creates; `model` drops the session.
        self.levels: dict[bool, int] = {}
        self.session = False
        self.maybe_session = False
        self.syncs = 0

    # ------------------------------------------------------------ checks
    def heap_used(self) -> int:
        out = self.m.run("mem")
        return int(re.search(r"heap:\s+\d+ KiB total, (\d+) KiB used", out).group(1))

    def sync(self):
        """After a Ctrl+C the shell may print one prompt more than expected:
        echo a fresh marker and wait for it to find the shell again."""
        self.syncs += 1
        marker = f"SYNC{self.syncs}"
        # Typed before the command has ended, the marker would be read (and
        # dropped) by the command's own check for Ctrl+C.
        self.m.wait_for(r"myos> ", 300)
        time.sleep(0.2)
        self.m.write(f"echo {marker}\r")
        self.m.wait_for(rf"\n{marker}\r?\n", 60)
        self.m.wait_for(r"myos> ", 30)

    def after(self, what: str, out: str):
        assert "PANIC" not in out and "panic" not in out, (what, out)
        if "error" in out:
            self.report.errors_reported += 1
        if self.levels:
            used = self.heap_used()
            # An interrupted first answer may stop before its session exists.
            allowed = {self.levels[self.session]} | ({self.levels[True]} if self.maybe_session else set())
            assert used in allowed, (f"after {what!r}: heap use {used} KiB, level "
                                     f"{self.levels[self.session]} KiB")
            self.session = used == self.levels[True]
            self.maybe_session = False

    def run(self, kind: str, command: str, timeout: float = 120) -> str:
        self.report.kinds[kind] = self.report.kinds.get(kind, 0) + 1
        self.report.commands += 1
        out = self.m.run(command, timeout)
        self.after(command, out)
        return out

    def interrupted(self, kind: str, command: str, latest: float):
        """A command with Ctrl+C after a random delay (it may have ended)."""
        self.report.kinds[kind] = self.report.kinds.get(kind, 0) + 1
        self.report.commands += 1
        self.report.interrupts += 1
        self.m.write(command + "\r")
        time.sleep(self.r.uniform(0, latest))
        self.m.write("\x03")
        self.sync()
        self.after(command + " ^C", "")

    # ------------------------------------------------------------ commands
    def text(self, most: int) -> str:
        n = self.r.randint(1, most)
        return " ".join(self.r.choice(WORDS) for _ in range(n))

    def path(self) -> str:
        return self.r.choice(FILES + ["/SOAK", "/MODELS", "/", "/nope/x", "/SOAK/../MYOS/SETTINGS.TXT",
                                      "/" + "".join(self.r.choices(string.ascii_letters, k=9))])

    def step(self):
        r = self.r
        choice = r.choices(["write", "append", "rm", "cat", "ls", "sum", "set", "set-bad", "system",
                            "junk", "info", "ai", "ai-cancel", "sum-cancel", "heaptest", "model"],
                           weights=[8, 8, 3, 5, 4, 3, 6, 4, 2, 4, 4, 4, 3, 1, 1, 1])[0]
        if choice in ("write", "append"):
            path, text = r.choice(FILES), self.text(30)
            out = self.run(choice, f"{choice} {path} {text}")
            assert out == "", out
            data = text.encode() + b"\n"
            self.files[path] = data if choice == "write" else self.files.get(path, b"") + data
        elif choice == "rm":
            path = r.choice(FILES)
            out = self.run("rm", f"rm {path}")
            assert (out == "") == (path in self.files), (path, out)
            self.files.pop(path, None)
        elif choice == "cat":
            path = self.path()
            out = self.run("cat", f"cat {path}")
            if path in self.files:
                assert out == self.files[path].decode(), (path, out)
        elif choice == "ls":
            self.run("ls", f"ls {self.path()}")
        elif choice == "sum":
            path = r.choice(FILES + ["-s", "/MYOS/SETTINGS.TXT"])
            out = self.run("sum", f"sum {path}")
            if path in self.files:
                crc = int(re.search(r"crc32 ([0-9a-f]{8})", out).group(1), 16)
                assert crc == zlib.crc32(self.files[path]), (path, out)
        elif choice == "set":
            name = r.choice(list(SETTINGS))
            out = self.run("set", f"set {name} {SETTINGS[name][0](r)}")
            assert "error" not in out, out
        elif choice == "set-bad":
            name = r.choice(list(SETTINGS) + ["nosuch", "model"])
            bad = r.choice(SETTINGS[name][1]) if name in SETTINGS else "1"
            command = f"set {name} {bad}" if bad else f"set {name}"
            out = self.run("set-bad", command)
            assert out.startswith("error") or name == "model", (command, out)
        elif choice == "system":
            self.run("system", r.choice([f"system {self.text(20)}", "system", "system default"]))
        elif choice == "junk":
            junk = "".join(r.choices(string.printable[:94] + " ", k=r.randint(1, 60))).strip()
            self.run("junk", junk or "echo")
        elif choice == "info":
            self.run("info", r.choice(["df", "mem", "uptime", "models", "model", "cpu", "help", "set",
                                       f"echo {self.text(10)}", "ls /MODELS"]))
        elif choice == "ai":
            self.report.ai_runs += 1
            self.session = True
            self.run("ai", f"ai {self.text(8)}", timeout=300)
        elif choice == "ai-cancel":
            self.report.ai_runs += 1
            self.maybe_session = True
            self.interrupted("ai-cancel", f"ai {self.text(8)}", 4.0)
        elif choice == "sum-cancel":
            self.interrupted("sum-cancel", f"sum /MODELS/{MODEL}", 1.0)
        elif choice == "heaptest":
            out = self.run("heaptest", f"heaptest {r.randint(100, 3000)}", timeout=120)
            assert "heap intact" in out, out
        elif choice == "model":
            self.session = False
            out = self.run("model", f"model {MODEL}", timeout=300)
            assert "loaded" in out, out

    def start(self):
        """The heap's levels: the model loaded, then its first answer made."""
        self.m.run("mkdir /SOAK")
        self.m.run("set max_tokens 4")
        out = self.m.run(f"model {MODEL}", timeout=300)
        assert "loaded" in out, out
        without = self.heap_used()
        out = self.m.run("ai hello", timeout=300)
        assert "tok/s" in out, out
        self.levels = {False: without, True: self.heap_used()}
        self.session = True

    def go(self, seconds: float) -> Report:
        t0 = time.monotonic()
        self.start()
        while time.monotonic() - t0 < seconds:
            self.step()
        self.report.seconds = time.monotonic() - t0
        return self.report
