#!/usr/bin/env python3
"""
test_robustness.py: nothing a client sends may end a worker.  Garbage,
malformed framing, half-closed and reset connections, a client that
does not read, 200 clients at once; afterwards the very same workers
must still be alive and serving.
"""

import os
import random
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API_KEY, Conn, Daemon, ParseError, connect,  # noqa: E402
                     dialect_answer, http_req, main, parse_all, pid_alive,
                     read_all, request, wait_until)

HEADER_TIMEOUT = 2
D = None
BEFORE = {}

AUTH = {"Authorization": "Bearer " + API_KEY}


def probe(data, timeout=HEADER_TIMEOUT + 3, shut_wr=False):
    """Send data on a new connection; read until the server closes.
    Returns (responses, closed, elapsed, raw bytes)."""
    s = connect(D.port)
    t0 = time.monotonic()
    closed = False
    out = b""
    try:
        try:
            s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass        # refused midway: read what came back
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
            if not b:
                closed = True
                break
            out += b
    finally:
        s.close()
    try:
        rs = parse_all(out)
    except (ParseError, ValueError):
        rs = None
    return rs, closed, time.monotonic() - t0, out


def test_snapshot(t):
    st = D.status()
    BEFORE["pids"] = sorted(w["pid"] for w in st["workers"])
    BEFORE["requests"] = st["requests"]
    t.eq(len(BEFORE["pids"]), 4, "4 workers before the abuse starts")
    t.ok(all(pid_alive(p) for p in BEFORE["pids"]),
         "their pids are alive", str(BEFORE["pids"]))


MALFORMED = [
    # (name, bytes, expected status or None for "any 4xx/5xx or a close")
    ("NUL in the request target",
     b"GET /hea\x00lth HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("NUL in a header value",
     b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("NUL in a header name",
     b"GET /health HTTP/1.1\r\nHost: x\r\nX\x00A: ab\r\n\r\n", 400),
    ("NUL bytes only", b"\x00" * 200 + b"\r\n\r\n", 400),
    ("space before the colon",
     b"GET /health HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400),
    ("obsolete line folding",
     b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n  c\r\n\r\n", 400),
    ("header without a colon",
     b"GET /health HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400),
    ("invalid method token", b"G(T /health HTTP/1.1\r\nHost: x\r\n\r\n",
     400),
    ("16-byte method", b"ABCDEFGHIJKLMNOP /health HTTP/1.1\r\nHost: x\r\n\r\n",
     400),
    ("no HTTP version", b"GET /health\r\nHost: x\r\n\r\n", 400),
    ("bad HTTP version", b"GET /health HTTP/1.1x\r\nHost: x\r\n\r\n", 400),
    ("lower-case version", b"GET /health http/1.1\r\nHost: x\r\n\r\n", 400),
    ("HTTP/3.0", b"GET /health HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ("asterisk target with GET", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("relative target", b"GET health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("two Host headers",
     b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    ("Content-Length abc",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
     400),
    ("Content-Length -1",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
     400),
    ("Content-Length 1, 2",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n"
     b"ab", 400),
    ("conflicting Content-Length headers",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
     b"Content-Length: 2\r\n\r\nab", 400),
    ("Content-Length overflowing 64 bits",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Content-Length: 99999999999999999999999\r\n\r\n", 400),
    ("Content-Length and Transfer-Encoding",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding gzip",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("Transfer-Encoding chunked, gzip",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked, gzip\r\n\r\n", 501),
    ("chunk size zz",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
    ("negative chunk size",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n", 400),
    ("17-digit chunk size",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n", 400),
    ("chunk size ffffffffffffffff",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n", 413),
    ("chunk data without CRLF",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
    ("chunk size line of 8 KB",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5;" + b"e" * 8192 + b"\r\n", 400),
    ("control byte in a chunk extension",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5;a\x01b\r\nhello\r\n0\r\n\r\n", 400),
    ("malformed trailer",
     b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\nno colon here\r\n\r\n", 400),
    ("200 KB line without LF", b"GET /" + b"A" * 200000, 431),
    ("100 KB of empty lines", b"\r\n" * 50000, 431),
    ("too many headers", b"GET /health HTTP/1.1\r\nHost: x\r\n" +
     b"".join(b"X-%d: y\r\n" % i for i in range(1000)) + b"\r\n", 431),
    ("TLS ClientHello", bytes.fromhex(
        "16030100a5010000a10303") + bytes(32) + b"\x00\x00\x02\x13\x01"
     b"\x01\x00" + b"\r\n\r\n", None),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", None),
]


def test_malformed(t):
    results = [None] * len(MALFORMED)

    def one(i, data):
        results[i] = probe(data)

    ths = [threading.Thread(target=one, args=(i, c[1]))
           for i, c in enumerate(MALFORMED)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    for (name, data, want), (rs, closed, dt, out) in zip(MALFORMED, results):
        got = [r.status for r in rs] if rs else None
        if want is None:
            ok = closed and (rs is not None and (rs == [] or
                             all(r.status >= 400 for r in rs)))
            t.ok(ok, "%s: an error answer or a close (%s, %.1fs)" %
                 (name, got, dt), out[:300])
        else:
            t.ok(got == [want] and closed,
                 "%s: %d, then close" % (name, want),
                 "got %s closed=%s after %.1fs: %r" % (got, closed, dt,
                                                      out[:300]))


def test_leading_crlf_and_absolute_form(t):
    rs, closed, dt, out = probe(b"\r\n\r\n\r\nGET /health HTTP/1.1\r\nHost: x"
                                b"\r\nConnection: close\r\n\r\n")
    t.ok(rs and rs[0].status == 200, "empty lines before a request are "
         "skipped", out[:200])
    rs, closed, dt, out = probe(b"GET http://127.0.0.1/health HTTP/1.1\r\n"
                                b"Host: x\r\nConnection: close\r\n\r\n")
    t.ok(rs and rs[0].status == 200, "absolute-form target is served",
         out[:200])


def test_random_garbage(t):
    rnd = random.Random(4242)
    blobs = []
    for i in range(24):
        n = rnd.choice([1, 7, 100, 1000, 5000, 20000])
        b = bytes(rnd.getrandbits(8) for _ in range(n))
        blobs.append(b + b"\r\n\r\n")     # forces a decision at once
    # two that never end a head: they wait for the header timeout
    blobs.append(bytes(rnd.getrandbits(8) for _ in range(300)).replace(
        b"\n", b"."))
    blobs.append(b"GET /health HTTP/1.1\r\nHost: x\r\n" +
                 bytes(rnd.getrandbits(8) for _ in range(300)).replace(
                     b"\n", b"."))
    # mutations of a valid request
    base = (b"GET /v1/nope?key=" + API_KEY.encode() +
            b" HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nX-A: b\r\n\r\n")
    for i in range(30):
        m = bytearray(base)
        for _ in range(rnd.randint(1, 6)):
            m[rnd.randrange(len(m) - 4)] = rnd.getrandbits(8)
        blobs.append(bytes(m) + b"\r\n\r\n")
    results = [None] * len(blobs)
    sem = threading.Semaphore(12)

    def one(i):
        with sem:
            results[i] = probe(blobs[i])

    ths = [threading.Thread(target=one, args=(i,))
           for i in range(len(blobs))]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    bad = []
    for i, (rs, closed, dt, out) in enumerate(results):
        # a mutated request may still be valid; anything else must be a
        # well-formed error answer, and the server must not hang
        if rs is None:
            bad.append((i, "unparseable answer", out[:120]))
        elif not closed and not rs:
            bad.append((i, "neither answer nor close", dt))
        elif any(r.status < 200 or r.status >= 600 for r in rs):
            bad.append((i, [r.status for r in rs]))
    t.eq(bad, [], "%d garbage and mutated requests get well-formed "
         "answers or a close" % len(blobs))
    slow = [(i, round(r[2], 1)) for i, r in enumerate(results)
            if r[2] > HEADER_TIMEOUT + 2]
    t.eq(slow, [], "no garbage connection outlives HEADER_TIMEOUT_SECONDS")


def test_half_closed(t):
    # partial head, then the client stops sending: close, no wait
    rs, closed, dt, out = probe(b"GET /health HTTP/1.1\r\nHost: x\r\n",
                                shut_wr=True)
    t.ok(closed and dt < HEADER_TIMEOUT - 0.5,
         "partial head + SHUT_WR: the server closes at once (%.2fs)" % dt,
         out[:200])
    t.ok(rs is not None and all(r.status >= 400 for r in rs),
         "and sends at most an error", out[:200])
    # a whole request, then SHUT_WR: still answered
    rs, closed, dt, out = probe(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                                shut_wr=True)
    t.ok(rs and rs[0].status == 200 and closed,
         "whole request + SHUT_WR is answered, then closed", out[:200])
    # two pipelined requests, then SHUT_WR: both answered
    rs, closed, dt, out = probe(http_req("GET", "/health") +
                                http_req("GET", "/v1/nope", AUTH),
                                shut_wr=True)
    t.ok(rs is not None and [r.status for r in rs] == [200, 404],
         "2 pipelined requests + SHUT_WR are both answered",
         out[-300:])
    # partial body, then SHUT_WR
    rs, closed, dt, out = probe(http_req(
        "POST", "/v1/messages", dict(AUTH, **{"Content-Length": "100"})) +
        b'{"a":', shut_wr=True)
    t.ok(closed and dt < HEADER_TIMEOUT,
         "partial body + SHUT_WR: closed at once (%.2fs)" % dt, out[:200])
    # connect and close, many times
    for i in range(50):
        s = connect(D.port)
        s.close()
    # connect, send part of a head, reset
    for i in range(20):
        s = connect(D.port)
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Le")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    # a body cut by a reset
    for i in range(20):
        s = connect(D.port)
        s.sendall(http_req("POST", "/v1/chat/completions",
                           dict(AUTH, **{"Content-Length": "5000"})) +
                  b"x" * 1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    st, _, _ = request(D, "GET", "/health")
    t.eq(st, 200, "still serving after 90 dropped connections")


def test_no_reader(t):
    # requests whose client is gone before the answer is written
    for i in range(30):
        s = connect(D.port)
        s.sendall(http_req("GET", "/health") * 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    st, _, _ = request(D, "GET", "/health")
    t.eq(st, 200, "still serving after clients reset mid-pipeline")


def test_slow_reader_pipeline(t):
    # 3000 pipelined requests sent before reading anything: the answers
    # (~2 MB) fill both socket buffers; the worker must wait, not fail
    n = 3000
    req = http_req("GET", "/health")
    s = connect(D.port, timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    err = []

    def sender():
        try:
            s.sendall(req * (n - 1) + http_req("GET", "/health",
                                               {"Connection": "close"}))
        except OSError as e:
            err.append(e)

    th = threading.Thread(target=sender)
    th.start()
    time.sleep(1.0)          # let the buffers fill up
    out = read_all(s, 20)
    th.join(5)
    s.close()
    rs = parse_all(out)
    t.eq(len(rs), n, "%d pipelined requests read late all get an answer" %
         n, "send errors: %r; tail %r" % (err, out[-200:]))
    t.ok(all(r.status == 200 for r in rs), "all of them 200")


def test_parallel_200(t):
    n = 200
    res = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        try:
            barrier.wait(10)
        except threading.BrokenBarrierError:
            pass
        try:
            st, hd, body = request(D, "GET", "/health", timeout=20)
            res[i] = st
        except Exception as e:
            res[i] = repr(e)

    t0 = time.monotonic()
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(30)
    dt = time.monotonic() - t0
    bad = [(i, r) for i, r in enumerate(res) if r != 200]
    t.eq(bad[:10], [], "200 parallel /health requests all get 200 "
         "(%.1fs)" % dt, "%d failed" % len(bad))
    # and with keep-alive connections that linger
    conns = []
    for i in range(40):
        c = Conn(D.port)
        c.send(http_req("GET", "/health"))
        conns.append(c)
    got = [c.recv_response(10) for c in conns]
    for c in conns:
        c.close()
    t.ok(all(r is not None and r.status == 200 for r in got),
         "40 held connections are all answered",
         str([r.status if r else None for r in got]))


def test_keepalive_timeout(t):
    # after the bursts above, workers may still be busy closing; with
    # none idle the daemon rightly answers "close" (keep-alive fairness)
    D.wait_idle()
    with Conn(D.port) as c:
        c.send(http_req("GET", "/health"))
        r = c.recv_response(3)
        t.ok(r is not None and r.headers.get("connection") == "keep-alive",
             "an answer with keep-alive", repr(r))
        t0 = time.monotonic()
        closed = c.closed_by_peer(5)
        dt = time.monotonic() - t0
        t.ok(closed and 1.5 <= dt <= 3.5,
             "an idle keep-alive connection is closed after "
             "KEEPALIVE_TIMEOUT_SECONDS=2 (%.2fs)" % dt)
        t.eq(c.buf, b"", "without sending anything")


BAD_BODIES = [
    ("empty", b""),
    ("truncated JSON", b'{"model": "m", "messages": [{"role": "user"'),
    ("not an object", b"[1, 2, 3]"),
    ("null", b"null"),
    ("a string", b'"hello"'),
    ("wrong types", b'{"model": 5, "messages": "hi", "max_tokens": "x", '
     b'"contents": 7, "stream": "yes"}'),
    ("null fields", b'{"model": null, "messages": null, "contents": null, '
     b'"system": null, "tools": null}'),
    ("messages of wrong shape", b'{"model": "m", "max_tokens": 5, '
     b'"messages": [1, null, {"role": 7}, {"role": "user", "content": '
     b'{"x": 1}}], "contents": [1, {"parts": 5}]}'),
    ("empty content parts", b'{"model": "m", "max_tokens": 5, "messages": '
     b'[{"role": "user", "content": [{}, {"type": "image"}, {"type": '
     b'"tool_result"}]}], "contents": [{"role": "user", "parts": [{}]}]}'),
    ("deep nesting", b'{"model": "m", "messages": ' + b"[" * 20000 +
     b"]" * 20000 + b"}"),
    ("invalid UTF-8", b'{"model": "m\xff\xfe", "messages": [{"role": '
     b'"user", "content": "\xc3\x28"}]}'),
    ("NUL escape", b'{"model": "m\\u0000x", "max_tokens": 5, "messages": '
     b'[{"role": "user", "content": "a\\u0000b"}]}'),
    ("huge numbers", b'{"model": "m", "max_tokens": 1e999, "temperature": '
     b'-1e999, "messages": [{"role": "user", "content": "hi"}]}'),
    ("duplicate keys", b'{"model": "a", "model": "b", "messages": [], '
     b'"messages": 5}'),
    ("lone surrogate", b'{"model": "m", "messages": [{"role": "user", '
     b'"content": "\\ud800"}]}'),
]

MUST_FAIL = {"empty", "truncated JSON", "not an object", "null", "a string",
             "wrong types"}

BODY_ROUTES = [
    ("/v1/chat/completions", "openai"),
    ("/v1/messages", "claude"),
    ("/v1/messages/count_tokens", "claude"),
    ("/v1beta/models/claude-sonnet-4-20250514:generateContent", "gemini"),
    ("/v1beta/models/claude-sonnet-4-20250514:streamGenerateContent?alt=sse",
     "gemini"),
]


def test_bad_json_bodies(t):
    # every API route must answer a hostile body with an error in its
    # dialect, never by dropping the connection
    for path, dialect in BODY_ROUTES:
        bad = []
        for name, body in BAD_BODIES:
            try:
                st, hd, b = request(D, "POST", path, dict(AUTH, **{
                    "Content-Type": "application/json"}), body, timeout=5)
            except Exception as e:
                # the worker probably died: the rest of this route would
                # only wait for respawns
                bad.append((name, repr(e), "(the remaining bodies of this "
                            "route were skipped)"))
                break
            # not JSON objects at all: an error; the rest may be taken
            # leniently, but the answer must be well-formed
            must_fail = name in MUST_FAIL
            if not dialect_answer(st, b, dialect, hd) or \
                    (must_fail and st < 400):
                bad.append((name, st, b[:120]))
        t.eq(bad, [], "POST %s: %d malformed bodies all get a well-formed "
             "%s answer (an error for the %d that cannot be a request)" %
             (path.split("?")[0], len(BAD_BODIES), dialect,
              len(MUST_FAIL)))


def test_same_workers_after(t):
    def settled():
        st = D.status()
        busy = [w for w in st["workers"] if w["state"] not in ("idle",)]
        return st if not busy else None

    st = wait_until(settled, 6) or D.status()
    pids = sorted(w["pid"] for w in st["workers"])
    t.eq(pids, BEFORE["pids"], "the same 4 worker pids after all of it")
    t.ok(all(pid_alive(p) for p in BEFORE["pids"]),
         "every original worker is alive")
    t.eq(st["generation"], 1, "still generation 1")
    t.ok(all(w["state"] == "idle" for w in st["workers"]),
         "every worker is back to idle",
         str([(w["slot"], w["state"]) for w in st["workers"]]))
    t.ok(st["requests"] > BEFORE["requests"] + 3000,
         "the request counter moved (%d -> %d)" %
         (BEFORE["requests"], st["requests"]))
    st2, hd, body = request(D, "GET", "/health")
    t.eq(st2, 200, "the daemon still serves /health")
    import json
    w = json.loads(body).get("workers", {})
    t.eq((w.get("total"), w.get("idle")), (4, 3),
         "health: 4 workers, 3 idle (the idle count is not corrupted)",
         body)
    st2, hd, body = request(D, "POST", "/v1/messages",
                            dict(AUTH, **{"Content-Type":
                                          "application/json"}), b"{}")
    t.ok(st2 not in (401, 404) and dialect_answer(st2, body, "claude", hd),
         "and its API routes (%d)" % st2, body)
    log = D.log()
    bad = [ln for ln in log.splitlines()
           if ("worker" in ln and ("killed by signal" in ln or
                                   "exited with status" in ln)) or
           "fatal" in ln.lower() or "corrupt" in ln]
    t.eq(bad, [], "the log shows no worker death")
    t.ok(D.running(), "the master is running")


def start():
    global D
    D = Daemon({"WORKERS": 4, "MAX_WORKERS": 4,
                "HEADER_TIMEOUT_SECONDS": HEADER_TIMEOUT,
                "BODY_TIMEOUT_SECONDS": 3, "MAX_BODY_BYTES": 65536,
                "KEEPALIVE_TIMEOUT_SECONDS": 2})
    return D


if __name__ == "__main__":
    main([test_snapshot, test_malformed,
          test_leading_crlf_and_absolute_form, test_random_garbage,
          test_half_closed, test_no_reader, test_slow_reader_pipeline,
          test_parallel_200, test_keepalive_timeout, test_bad_json_bodies,
          test_same_workers_after],
         start=start)
