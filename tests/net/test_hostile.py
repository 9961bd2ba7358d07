"""Hostile and broken clients against `serve` (with an API key set): after
each one, GET /health still answers and a normal request still works.
Raw sockets on 127.0.0.1 only."""
import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest

from myos.serve import Server
from tests.net.conftest import IMAGE, MODEL, Served

pytestmark = pytest.mark.qemu

KEY = "sk-myos-test-7f3a"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served():
    server = Server(IMAGE, commands=(f"set api_key {KEY}",)).start()
    yield Served(server, server.base_url, "127.0.0.1", server.port, server.outputs)
    server.machine.kill()


def chat_body(**extra) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "temperature": 0, "max_tokens": 1}
    body.update(extra)
    return json.dumps(body).encode()


def still_serving(served):
    status, _, body = served.request("GET", "/health", timeout=30)
    assert status == 200, body
    status, _, body = served.request("POST", "/v1/chat/completions", chat_body(), AUTH)
    assert status == 200, body
    assert json.loads(body)["choices"][0]["message"]["role"] == "assistant"


def error_of(status, body, expected_status, param=None):
    assert status == expected_status, body
    err = json.loads(body)["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    if param is not None:
        assert err["param"] == param, err
    return err


def raw_connection(served, timeout=30) -> socket.socket:
    s = socket.create_connection((served.host, served.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(s: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    data = b""
    while True:
        try:
            part = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return data
        if not part:
            return data
        data += part


def test_api_key_required(served):
    for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {KEY}"},
                    {"Authorization": f"Bearer {KEY}x"}, {"Authorization": f"Bearer {KEY[:-1]}"}):
        status, _, body = served.request("POST", "/v1/chat/completions", chat_body(), headers)
        error_of(status, body, 401)
        status, _, body = served.request("GET", "/v1/models", None, headers)
        error_of(status, body, 401)
    status, _, body = served.request("GET", "/v1/models", None, AUTH)
    assert status == 200 and json.loads(body)["data"][0]["id"] == MODEL
    still_serving(served)


@pytest.mark.parametrize("body, param", [
    (b'{"model": "x", "messages": [', None),
    (b'{"model": "' + MODEL.encode() + b'", "messages": [{"role": "user", "content": "\\ud800"}]}', None),
    (b'\xff\xfe{}', None),
    (b'[1, 2, 3]', None),
    (chat_body(temperature="hot"), "temperature"),
    (chat_body(temperature=1e9), "temperature"),
    (chat_body(max_tokens=0), "max_tokens"),
    (chat_body(max_tokens=2.5), "max_tokens"),
    (chat_body(top_p=-1), "top_p"),
    (chat_body(seed=-3), "seed"),
    (chat_body(stop=[1]), "stop"),
    (chat_body(stream="yes"), "stream"),
    (chat_body(model="no-such-model.gguf"), "model"),
    (chat_body(messages=[]), "messages"),
    (chat_body(messages=[{"role": "wizard", "content": "hi"}]), "messages[0].role"),
    (chat_body(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
])
def test_malformed_requests_get_400_naming_the_field(served, body, param):
    status, _, reply = served.request("POST", "/v1/chat/completions", body, AUTH)
    err = error_of(status, reply, 400, param)
    if param:
        assert param.split("[")[0] in err["message"]


def test_malformed_json_then_still_serving(served):
    status, _, reply = served.request("POST", "/v1/completions", b'{"prompt": "a", "model": ', AUTH)
    assert "JSON" in error_of(status, reply, 400)["message"]
    still_serving(served)


def test_malformed_http_gets_400(served):
    for request in (b"GARBAGE\r\n\r\n", b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                    b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n", b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
                    b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"):
        with raw_connection(served) as s:
            s.sendall(request)
            reply = read_response(s)
        assert re.match(rb"HTTP/1\.1 (400|505) ", reply), (request, reply)
        assert b"Connection: close" in reply
    still_serving(served)


def test_ten_mib_body_gets_413(served):
    with raw_connection(served) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: 10485760\r\n\r\n")
        sent = 0
        try:
            s.settimeout(5)
            while sent < 10 << 20:
                sent += s.send(b"x" * 65536)
        except OSError:
            pass  # the server answered and closed: the rest need not go
        s.settimeout(30)
        reply = read_response(s)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    error_of(413, reply.partition(b"\r\n\r\n")[2], 413)
    still_serving(served)


def test_headers_without_end_get_431(served):
    with raw_connection(served) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(2000):
                s.sendall(b"X-Filler-%d: %s\r\n" % (i, b"a" * 60))
        except OSError:
            pass
        reply = read_response(s)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    still_serving(served)


def test_half_a_request_then_silence_times_out(served):
    with raw_connection(served, timeout=60) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mod")
        start = time.monotonic()
        # The stalled client holds its connection; others are served meanwhile.
        status, _, _ = served.request("GET", "/health", timeout=30)
        assert status == 200
        reply = read_response(s)
        waited = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    assert waited < 40
    with raw_connection(served, timeout=60) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHo")
        reply = read_response(s)
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
    still_serving(served)


def test_a_hundred_connections_at_once(served):
    def one(i):
        try:
            with raw_connection(served, timeout=60) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return read_response(s)
        except OSError as e:
            return repr(e).encode()
    with ThreadPoolExecutor(max_workers=100) as pool:
        replies = list(pool.map(one, range(100)))
    ok = [r for r in replies if r.startswith(b"HTTP/1.1 200 OK")]
    # Beyond its connection table the server refuses (resets) at once.
    assert len(ok) >= 8, replies[:5]
    assert all(r.startswith(b"HTTP/1.1 200 OK") or not r.startswith(b"HTTP") for r in replies)
    still_serving(served)


def test_queue_full_gets_503_with_retry_after(served):
    """A streamed request holds the model for as long as the test keeps its
    connection open. Meanwhile twelve more come one after another (QEMU's
    user network accepts forwarded connections one at a time, so they are
    spread out): eight wait in the queue and the other four get 503 at once.
    Closing the stream stops its generation; then the eight are answered."""
    long = chat_body(max_tokens=400, stream=True, messages=[{"role": "user", "content": "Tell me a long story."}])
    with raw_connection(served, timeout=120) as holder:
        holder.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(long)
                       + long)
        data = b""
        while b"data: " not in data:  # generating: the model is taken
            data += holder.recv(4096)

        def one(i):
            time.sleep(0.15 * i)
            return served.request("POST", "/v1/chat/completions", chat_body(max_tokens=1), AUTH, timeout=600)
        pool = ThreadPoolExecutor(max_workers=12)
        futures = [pool.submit(one, i) for i in range(12)]
        refused = []
        for f in as_completed(futures, timeout=300):
            refused.append(f.result())
            if len(refused) == 4:
                break
    # The holder is gone: its generation stops and the queue drains.
    replies = [f.result(timeout=600) for f in futures]
    pool.shutdown()
    assert [r[0] for r in refused] == [503] * 4, [r[0] for r in refused]
    statuses = [r[0] for r in replies]
    assert statuses.count(200) == 8 and statuses.count(503) == 4, statuses
    assert all(r[1].get("Retry-After") == "1" for r in refused)
    error_of(503, refused[0][2], 503)
    still_serving(served)


def test_client_closing_mid_stream_stops_the_generation(served):
    body = chat_body(max_tokens=400, stream=True, messages=[{"role": "user", "content": "Tell me a long story."}])
    with raw_connection(served, timeout=120) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        data = b""
        while data.count(b"data: ") < 4:
            data += s.recv(4096)
    still_serving(served)
    log = served.server.machine.transcript
    stopped = re.findall(r"^POST /v1/chat/completions 200 (\d+) tokens", log, re.M)
    # The streamed request's line: far fewer tokens than it asked for.
    assert stopped and any(3 <= int(n) < 100 for n in stopped), stopped


def test_console_shows_refused_requests(served):
    log = served.server.machine.transcript
    for line in (r"POST /v1/chat/completions 401 - tokens", r"POST /v1/chat/completions 413 - tokens",
                 r"GET /health 431 - tokens", r"POST /v1/chat/completions 408 - tokens"):
        assert re.search("^" + line, log, re.M), line
