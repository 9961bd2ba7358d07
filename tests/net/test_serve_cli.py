"""`python -m myos serve` as a user runs it: it prints the base URL once the
API answers, relays the guest's request lines, and Ctrl+C (SIGINT) stops the
server, powers the guest off and exits 0."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from myos import ROOT
from myos.serve import free_port
from tests.net.conftest import IMAGE, MODEL

pytestmark = pytest.mark.qemu


def test_serve_prints_the_url_and_stops_on_ctrl_c():
    port = free_port()
    # Its own process group, so that SIGINT reaches it and QEMU as a
    # terminal's Ctrl+C does.
    proc = subprocess.Popen([sys.executable, "-m", "myos", "serve", "--port", str(port), "--image", str(IMAGE)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        lines = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "serves" in line:
                break
        assert re.match(rf"MyOS serves {re.escape(MODEL)} at http://127\.0\.0\.1:{port}/v1 \(Ctrl\+C stops\)$",
                        lines[-1].strip()), lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=30) as r:
            assert json.load(r)["data"][0]["id"] == MODEL
        while "GET /v1/models 200" not in proc.stdout.readline():
            pass
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        assert "stopped serving" in out
    finally:
        if proc.poll() is None:
            proc.kill()
