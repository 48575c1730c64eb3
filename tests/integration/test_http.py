#!/usr/bin/env python3
"""
test_http.py: the HTTP surface of one running aiclientd: health, client
authentication in every form and dialect, 404/405/OPTIONS/CORS, the
model-provider header, size and time limits, keep-alive, pipelining,
chunked bodies, Expect: 100-continue, HTTP/1.0 and provider prefixes.
"""

import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API_KEY, UNAUTH_MSG, Conn, Daemon,  # noqa: E402
                     auth_refused, dialect_answer, http_req, is_claude_error,
                     is_gemini_error, is_openai_error, jbody, main,
                     parse_all, raw, request)

MAX_BODY = 4096
D = None        # the daemon shared by every test of this file

AUTH = {"Authorization": "Bearer " + API_KEY}
JSON_CT = {"Content-Type": "application/json"}

MODEL = "claude-sonnet-4-20250514"     # one the Kiro provider knows
CHAT_BODY = json.dumps({"model": MODEL, "messages": [
    {"role": "user", "content": "hi"}]}).encode()
CLAUDE_BODY = json.dumps({"model": MODEL, "max_tokens": 16,
                          "messages": [{"role": "user",
                                        "content": "hi"}]}).encode()
GEMINI_BODY = json.dumps({"contents": [{"role": "user",
                                        "parts": [{"text": "hi"}]}]}).encode()

OPENAI_401 = {"error": {"message": UNAUTH_MSG,
                        "type": "authentication_error", "param": None,
                        "code": "invalid_api_key"}}
CLAUDE_401 = {"type": "error", "error": {"type": "authentication_error",
                                         "message": UNAUTH_MSG}}
GEMINI_401 = {"error": {"code": 401, "message": UNAUTH_MSG,
                        "status": "UNAUTHENTICATED"}}


def h(*dicts):
    out = {}
    for d in dicts:
        out.update(d)
    return out


def test_health(t):
    D.wait_idle(3)
    st, hd, body = request(D, "GET", "/health")
    t.eq(st, 200, "GET /health is 200")
    t.ok(hd.get("content-type", "").startswith("application/json"),
         "health is JSON", str(hd))
    t.ok(hd.get("date", "").endswith(" GMT") and
         hd.get("server", "").startswith("aiclientd/"),
         "Date and Server headers are present", str(hd))
    j = jbody(body) or {}
    t.eq(j.get("status"), "healthy", "health status is 'healthy'", body)
    t.ok(isinstance(j.get("timestamp"), str) and
         re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", j["timestamp"]),
         "health timestamp is ISO 8601", body)
    t.eq(j.get("provider"), "claude-kiro-oauth", "health names the provider")
    t.ok(isinstance(j.get("version"), str) and j.get("version"),
         "health carries the version", body)
    t.ok(isinstance(j.get("uptime"), int) and j["uptime"] >= 0,
         "health uptime is a non-negative integer", body)
    w = j.get("workers") or {}
    t.ok(all(isinstance(w.get(k), int) for k in
             ("total", "busy", "idle", "generation")),
         "health workers has total/busy/idle/generation", body)
    t.eq(w.get("total"), 3, "health counts WORKERS=3 workers", body)
    t.eq(w.get("busy", 0) + w.get("idle", 0), w.get("total"),
         "busy + idle == total", body)
    t.ok(w.get("busy", 0) >= 1, "the worker answering counts as busy", body)
    t.eq(w.get("generation"), 1, "health generation is 1", body)
    # health needs no key but a wrong key does not hurt either
    st, _, _ = request(D, "GET", "/health", {"x-api-key": "wrong"})
    t.eq(st, 200, "health ignores a wrong key")
    st, _, _ = request(D, "GET", "/health?foo=bar")
    t.eq(st, 200, "health with a query string is 200")


def test_head_health(t):
    # HEAD must not carry a body (RFC 9110 9.3.2): on a keep-alive
    # connection the body bytes would be read as the next response.
    with Conn(D.port) as c:
        c.send(http_req("HEAD", "/health") +
               http_req("GET", "/health", {"Connection": "close"}))
        r1 = c.recv_response(5, method="HEAD")
        t.ok(r1 is not None and r1.status == 200, "HEAD /health is 200",
             repr(r1))
        c.closed_by_peer(5)
        rest = c.buf
        if r1 is not None and \
                r1.headers.get("connection", "").lower() == "close":
            # the fairness rule closed the connection (a busy machine):
            # then nothing at all may follow the head
            t.ok(rest == b"", "HEAD /health sends no body (connection "
                 "closed after the head)", rest[:300])
        else:
            t.ok(rest.startswith(b"HTTP/1.1 200"),
                 "HEAD /health sends no body: the next bytes are the next "
                 "response", rest[:300])


def test_auth_ways(t):
    # an unknown path answers 404 once the key is accepted (auth comes
    # first), so it tests the key check alone
    ways = [
        ("Authorization: Bearer", {"Authorization": "Bearer " + API_KEY},
         "/v1/nope"),
        ("Authorization: bearer (lower case, two spaces)",
         {"Authorization": "bearer  " + API_KEY}, "/v1/nope"),
        ("x-api-key", {"x-api-key": API_KEY}, "/v1/nope"),
        ("x-goog-api-key", {"x-goog-api-key": API_KEY}, "/v1/nope"),
        ("?key=", {}, "/v1/nope?key=" + API_KEY),
        ("?key= among other parameters", {},
         "/v1/nope?alt=json&key=" + API_KEY + "&x=1"),
    ]
    for name, hdrs, path in ways:
        st, hd, body = request(D, "GET", path, hdrs)
        t.eq(st, 404, "auth via %s is accepted (%s)" % (name, path), body)
    # the real routes of each dialect, with their usual header
    cases = [
        ("GET", "/v1/models", {"Authorization": "Bearer " + API_KEY}, None,
         "openai"),
        ("POST", "/v1/chat/completions", AUTH, CHAT_BODY, "openai"),
        ("POST", "/v1/messages", {"x-api-key": API_KEY,
                                  "anthropic-version": "2023-06-01"},
         CLAUDE_BODY, "claude"),
        ("GET", "/v1beta/models?key=" + API_KEY, {}, None, "gemini"),
        ("POST", "/v1beta/models/claude-sonnet-4-20250514:generateContent",
         {"x-goog-api-key": API_KEY}, GEMINI_BODY, "gemini"),
    ]
    for method, path, hdrs, body, dialect in cases:
        st, hd, b = request(D, method, path, h(JSON_CT, hdrs), body)
        t.ok(not auth_refused(st, b) and st not in (404, 405) and
             dialect_answer(st, b, dialect, hd),
             "%s %s passes auth and answers in the %s dialect (%d)" %
             (method, path.split("?")[0], dialect, st), b)


def test_auth_failures(t):
    cases = [
        ("openai", "GET", "/v1/models", None, OPENAI_401),
        ("openai", "POST", "/v1/chat/completions", CHAT_BODY, OPENAI_401),
        ("claude", "POST", "/v1/messages", CLAUDE_BODY, CLAUDE_401),
        ("claude", "POST", "/v1/messages/count_tokens", CLAUDE_BODY,
         CLAUDE_401),
        ("gemini", "GET", "/v1beta/models", None, GEMINI_401),
        ("gemini", "POST", "/v1beta/models/%s:generateContent" % MODEL,
         GEMINI_BODY, GEMINI_401),
    ]
    creds = [
        ("missing key", {}),
        ("wrong Bearer", {"Authorization": "Bearer nope"}),
        ("wrong x-api-key", {"x-api-key": "nope"}),
        ("wrong x-goog-api-key", {"x-goog-api-key": "nope"}),
        ("key prefix", {"x-api-key": API_KEY[:-1]}),
        ("key with a suffix", {"x-api-key": API_KEY + "x"}),
        ("Basic scheme", {"Authorization": "Basic " + API_KEY}),
    ]
    for dialect, method, path, body, want in cases:
        for cname, hdrs in creds:
            if cname not in ("missing key", "wrong Bearer") and \
                    path not in ("/v1/models", "/v1/messages",
                                 "/v1beta/models"):
                continue
            st, hd, b = request(D, method, path, h(JSON_CT, hdrs), body)
            t.ok(st == 401 and jbody(b) == want,
                 "%s %s, %s: 401 with the %s body" %
                 (method, path, cname, dialect),
                 "status %d body %r" % (st, b))
    st, hd, b = request(D, "GET", "/v1/models?key=nope")
    t.ok(st == 401 and jbody(b) == OPENAI_401, "wrong ?key= is 401", b)
    st, hd, b = request(D, "GET", "/v1/models?key=")
    t.ok(st == 401 and jbody(b) == OPENAI_401, "empty ?key= is 401", b)


def test_not_found(t):
    st, hd, b = request(D, "GET", "/nope", AUTH)
    t.eq(st, 404, "unknown path with a key is 404")
    t.eq(jbody(b), {"error": {"message": "Not Found"}},
         "404 body is {\"error\":{\"message\":\"Not Found\"}}", b)
    t.ok(hd.get("content-type", "").startswith("application/json"),
         "404 is JSON", str(hd))
    st, hd, b = request(D, "POST", "/v2/chat/completions", AUTH, b"{}")
    t.eq(st, 404, "POST to an unknown path with a key is 404")
    st, hd, b = request(D, "GET", "/nope")
    t.eq(st, 401, "unknown path without a key is 401 (auth first)")
    t.eq(jbody(b), OPENAI_401, "that 401 is in the OpenAI dialect", b)
    st, hd, b = request(D, "GET", "/v1/messages/nope")
    t.ok(st == 401 and jbody(b) == CLAUDE_401,
         "unknown path under /v1/messages without a key: Claude 401",
         "%d %r" % (st, b))


def test_method_not_allowed(t):
    cases = [
        ("GET", "/v1/chat/completions", "POST", is_openai_error),
        ("DELETE", "/v1/models", "GET", is_openai_error),
        ("PUT", "/v1/messages", "POST", is_claude_error),
        ("GET", "/v1/messages/count_tokens", "POST", is_claude_error),
        ("POST", "/v1beta/models", "GET", is_gemini_error),
        ("GET", "/v1beta/models/gemini-pro:generateContent", "POST",
         is_gemini_error),
        ("POST", "/v1beta/models/gemini-pro", "GET", is_gemini_error),
        ("POST", "/health", "GET", is_openai_error),
    ]
    for method, path, allowed, shape in cases:
        st, hd, b = request(D, method, path, AUTH,
                            b"{}" if method in ("POST", "PUT") else None)
        allow = [m.strip() for m in hd.get("allow", "").split(",")]
        t.ok(st == 405 and allowed in allow,
             "%s %s is 405 with Allow listing %s" % (method, path, allowed),
             "status %d Allow %r" % (st, hd.get("allow")))
        t.ok(shape(b), "%s %s 405 body is in the path's dialect" %
             (method, path), b)


def test_options(t):
    for path in ("/v1/chat/completions", "/v1/messages", "/nowhere",
                 "/v1beta/models/x:generateContent"):
        st, hd, b = request(D, "OPTIONS", path, {
            "Origin": "https://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key"})
        t.eq(st, 204, "OPTIONS %s without a key is 204" % path)
        t.eq(hd.get("access-control-allow-origin"), "*",
             "OPTIONS %s: Access-Control-Allow-Origin: *" % path)
        methods = hd.get("access-control-allow-methods", "")
        t.ok("POST" in methods and "GET" in methods,
             "OPTIONS %s: Allow-Methods lists GET and POST" % path, methods)
        ah = hd.get("access-control-allow-headers", "").lower()
        t.ok(all(x in ah for x in ("authorization", "content-type",
                                    "x-api-key", "x-goog-api-key")),
             "OPTIONS %s: Allow-Headers lists the auth headers" % path, ah)
        t.eq(b, b"", "OPTIONS %s has no body" % path)


def test_cors_everywhere(t):
    reqs = [
        ("GET", "/health", {}, None),
        ("GET", "/v1/models", {}, None),                  # 401
        ("GET", "/nope", AUTH, None),                     # 404
        ("GET", "/v1/chat/completions", AUTH, None),      # 405
        ("POST", "/v1/chat/completions", h(AUTH, JSON_CT), CHAT_BODY),
        ("POST", "/v1/messages", h(AUTH, JSON_CT), CLAUDE_BODY),
        ("GET", "/v1beta/models", AUTH, None),
        ("GET", "/v1/models", {"model-provider": "bogus"}, None),  # 400
    ]
    for method, path, hdrs, body in reqs:
        st, hd, b = request(D, method, path, hdrs, body)
        t.eq(hd.get("access-control-allow-origin"), "*",
             "%s %s (%d) carries Access-Control-Allow-Origin: *" %
             (method, path, st))
    # and on limit errors written by the connection layer
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, {"Content-Length": str(MAX_BODY + 1)})))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 413 and
             r.headers.get("access-control-allow-origin") == "*",
             "413 carries Access-Control-Allow-Origin: *", repr(r))


def test_model_provider_header(t):
    st, hd, b = request(D, "GET", "/v1/models",
                        h(AUTH, {"model-provider": "bogus"}))
    t.eq(st, 400, "model-provider: bogus is 400")
    t.ok(is_openai_error(b) and "bogus" in b.decode(),
         "the 400 body is an OpenAI error naming the provider", b)
    st, hd, b = request(D, "POST", "/v1/messages",
                        h(AUTH, JSON_CT, {"model-provider": "bogus"}),
                        CLAUDE_BODY)
    t.ok(st == 400 and is_claude_error(b),
         "model-provider: bogus on /v1/messages is a Claude 400",
         "%d %r" % (st, b))
    st, hd, b = request(D, "GET", "/v1beta/models",
                        h(AUTH, {"model-provider": "bogus"}))
    t.ok(st == 400 and is_gemini_error(b) and
         jbody(b)["error"]["code"] == 400,
         "model-provider: bogus on /v1beta is a Gemini 400",
         "%d %r" % (st, b))
    st, hd, b = request(D, "POST", "/v1/messages",
                        h(AUTH, JSON_CT,
                          {"model-provider": "claude-kiro-oauth"}),
                        CLAUDE_BODY)
    t.ok(b"in header is not available" not in b and
         dialect_answer(st, b, "claude", hd),
         "a known model-provider header is accepted (%d)" % st, b)
    st, hd, b = request(D, "GET", "/health",
                        {"model-provider": "openai-custom"})
    t.ok(st == 200 and (jbody(b) or {}).get("provider") == "openai-custom",
         "model-provider: openai-custom selects that provider", b)
    st, hd, b = request(D, "GET", "/health", {"model-provider": "bogus"})
    t.eq(st, 400, "model-provider: bogus is 400 even on /health")


def test_413_content_length(t):
    with Conn(D.port) as c:
        t0 = time.monotonic()
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, JSON_CT,
                          {"Content-Length": str(MAX_BODY + 1)})))
        r = c.recv_response(5)
        dt = time.monotonic() - t0
        t.ok(r is not None and r.status == 413,
             "Content-Length over MAX_BODY_BYTES is 413 before the body "
             "is sent", repr(r))
        t.ok(dt < 2, "the 413 comes at once (%.2fs)" % dt)
        if r is not None:
            t.eq(r.headers.get("connection"), "close",
                 "413 says Connection: close")
            t.ok(is_openai_error(r.body), "413 body is an OpenAI error",
                 r.body)
        t.ok(c.closed_by_peer(4), "the connection is closed after the 413")
    # the limit itself is allowed
    body = b'{"p":"' + b"x" * (MAX_BODY - 8) + b'"}'
    assert len(body) == MAX_BODY
    st, hd, b = request(D, "POST", "/v1/chat/completions",
                        h(AUTH, JSON_CT), body)
    t.ok(st != 413 and dialect_answer(st, b, "openai", hd),
         "a body of exactly MAX_BODY_BYTES is accepted (%d)" % st, b)
    # Claude dialect for the same limit
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/messages",
                        h(AUTH, JSON_CT, {"Content-Length": "99999999"})))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 413 and is_claude_error(r.body),
             "413 on /v1/messages is a Claude error", repr(r))


def test_413_chunked(t):
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, JSON_CT,
                          {"Transfer-Encoding": "chunked"})))
        chunk = b"x" * 2000
        got = None
        try:
            for _ in range(4):
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                time.sleep(0.02)
            c.send(b"0\r\n\r\n")
        except OSError:
            pass        # the server may close once it has refused
        got = c.recv_response(5)
        t.ok(got is not None and got.status == 413,
             "a chunked body over MAX_BODY_BYTES is 413", repr(got))
        if got is not None:
            t.eq(got.headers.get("connection"), "close",
                 "chunked 413 says Connection: close")
        t.ok(c.closed_by_peer(4), "the connection is closed after it")
    # one huge chunk size announced up front
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, {"Transfer-Encoding": "chunked"})) +
               b"100000\r\nabc")
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 413,
             "a chunk size over the limit is 413 before its data",
             repr(r))


def test_431(t):
    big = "a" * (70 * 1024)
    with Conn(D.port) as c:
        try:
            c.send(http_req("GET", "/health", {"X-Big": big}))
        except OSError:
            pass
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 431,
             "a 70 KiB header is 431", repr(r))
        if r is not None:
            t.eq(r.headers.get("connection"), "close",
                 "431 says Connection: close")
            t.eq(r.headers.get("access-control-allow-origin"), "*",
                 "431 carries Access-Control-Allow-Origin: *")
        t.ok(c.closed_by_peer(4), "the connection is closed after the 431")
    # many medium headers adding up
    hdrs = [("X-H%d" % i, "v" * 1000) for i in range(70)]
    with Conn(D.port) as c:
        try:
            c.send(http_req("GET", "/health", hdrs))
        except OSError:
            pass
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 431,
             "70 headers of 1 KB are 431", repr(r))
    with Conn(D.port) as c:
        try:
            c.send(http_req("GET", "/health?x=" + big))
        except OSError:
            pass
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 431,
             "a 70 KiB request line is 431", repr(r))
    # just under the limit is served
    hdrs = [("X-H%d" % i, "v" * 1000) for i in range(60)]
    st, hd, b = request(D, "GET", "/health", dict(hdrs))
    t.eq(st, 200, "60 headers of 1 KB are still served")


def test_408_slow_head(t):
    with Conn(D.port) as c:
        t0 = time.monotonic()
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        r = c.recv_response(6)
        dt = time.monotonic() - t0
        t.ok(r is not None and r.status == 408,
             "a stalled head gets 408", repr(r))
        t.ok(0.7 <= dt <= 3.5, "after about HEADER_TIMEOUT_SECONDS=1 "
             "(%.2fs)" % dt)
        if r is not None:
            t.eq(r.headers.get("connection"), "close",
                 "408 says Connection: close")
            t.eq(r.headers.get("access-control-allow-origin"), "*",
                 "408 carries Access-Control-Allow-Origin: *")
            t.ok(is_openai_error(r.body), "408 body is an OpenAI error",
                 r.body)
        t.ok(c.closed_by_peer(4), "the connection is closed after the 408")
    # a slowloris that trickles bytes does not extend the deadline
    with Conn(D.port) as c:
        t0 = time.monotonic()
        c.send(b"GET /health HTTP/1.1\r\n")
        r = None
        for i in range(40):
            try:
                c.send(b"X-%d: y\r\n" % i)
            except OSError:
                break
            r = c.recv_response(0.1)
            if r is not None or c.eof:
                break
        if r is None:
            r = c.recv_response(3)
        dt = time.monotonic() - t0
        t.ok(r is not None and r.status == 408 and dt < 3.5,
             "a head trickled byte by byte still times out (%.2fs)" % dt,
             repr(r))


def test_408_slow_body(t):
    with Conn(D.port) as c:
        t0 = time.monotonic()
        c.send(http_req("POST", "/v1/messages",
                        h(AUTH, JSON_CT, {"Content-Length": "100"})) +
               b'{"model":')
        r = c.recv_response(8)
        dt = time.monotonic() - t0
        t.ok(r is not None and r.status == 408,
             "a stalled body gets 408", repr(r))
        t.ok(1.5 <= dt <= 5, "after about BODY_TIMEOUT_SECONDS=2 (%.2fs)" %
             dt)
        if r is not None:
            t.ok(is_claude_error(r.body) and
                 r.headers.get("connection") == "close",
                 "body 408 on /v1/messages is a Claude error with "
                 "Connection: close", repr(r))


def test_keepalive(t):
    # keep-alive is granted only while another worker is idle (keep-alive
    # fairness): let the workers of the tests before finish first
    D.wait_idle()
    seq = [
        ("GET", "/health", {}, None, 200),
        ("GET", "/v1/models", AUTH, None, None),
        ("POST", "/v1/chat/completions", h(AUTH, JSON_CT), CHAT_BODY, None),
        ("GET", "/nope", AUTH, None, 404),
        ("GET", "/health", {}, None, 200),
    ]
    with Conn(D.port) as c:
        n = 0
        for method, path, hdrs, body, want in seq:
            c.send(http_req(method, path, hdrs, body or b""))
            r = c.recv_response(5)
            if r is None:
                break
            if want is not None and r.status != want:
                break
            if r.headers.get("connection") != "keep-alive":
                break
            n += 1
        t.eq(n, 5, "5 requests answered with keep-alive on one connection",
             repr(r))
        c.send(http_req("GET", "/health", {"Connection": "close"}))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 200 and
             r.headers.get("connection") == "close",
             "a 6th request with Connection: close is answered with "
             "close", repr(r))
        t.ok(c.closed_by_peer(3), "the server closes after it")


def test_keepalive_with_http_client(t):
    # keep-alive is granted only while another worker is idle (keep-alive
    # fairness): let the workers of the tests before finish first
    D.wait_idle()
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", D.port, timeout=5)
    socks = set()
    ok = 0
    try:
        for i in range(5):
            conn.request("GET", "/health")
            r = conn.getresponse()
            r.read()
            socks.add(id(conn.sock))
            if r.status == 200:
                ok += 1
    finally:
        conn.close()
    t.eq(ok, 5, "http.client: 5 requests on a persistent connection")
    t.eq(len(socks), 1, "http.client never had to reconnect")


def test_pipelining(t):
    # keep-alive is granted only while another worker is idle (keep-alive
    # fairness): let the workers of the tests before finish first
    D.wait_idle()
    data = (http_req("GET", "/health") +
            http_req("POST", "/v1/chat/completions", h(AUTH, JSON_CT),
                     CHAT_BODY) +
            http_req("GET", "/nope", AUTH) +
            http_req("POST", "/v1/messages", h(AUTH, JSON_CT), CLAUDE_BODY) +
            http_req("GET", "/health", {"Connection": "close"}))
    out = raw(D.port, data, 5)
    rs = parse_all(out)
    t.eq(len(rs), 5, "5 pipelined requests in one write get 5 responses",
         out[-500:])
    if len(rs) == 5:
        t.eq(rs[0].status, 200, "pipelined #1 GET /health is 200")
        t.ok(dialect_answer(rs[1].status, rs[1].body, "openai",
                            rs[1].headers),
             "pipelined #2 chat is an OpenAI answer", rs[1].body)
        t.eq(rs[2].status, 404, "pipelined #3 is 404")
        t.ok(dialect_answer(rs[3].status, rs[3].body, "claude",
                            rs[3].headers),
             "pipelined #4 messages is a Claude answer", rs[3].body)
        t.ok(rs[4].status == 200 and
             rs[4].headers.get("connection") == "close",
             "pipelined #5 is 200 with Connection: close", repr(rs[4]))
    # early answers (401, 404, 405) drain their bodies and stay in step
    data = (http_req("POST", "/v1/chat/completions", JSON_CT, CHAT_BODY) +
            http_req("POST", "/nope", AUTH, b"x" * 300) +
            http_req("PUT", "/v1/models", AUTH, b"y" * 200) +
            http_req("POST", "/v1/chat/completions",
                     h(JSON_CT, {"Transfer-Encoding": "chunked"}),
                     b"5\r\nhello\r\n0\r\n\r\n") +
            http_req("GET", "/health", {"Connection": "close"}))
    out = raw(D.port, data, 5)
    rs = parse_all(out)
    t.eq([r.status for r in rs], [401, 404, 405, 401, 200],
         "early answers with bodies keep a pipelined connection in step",
         out[-600:])
    # the same bytes delivered one at a time
    D.wait_idle()
    with Conn(D.port) as c:
        data = (http_req("GET", "/health") +
                http_req("GET", "/health", {"Connection": "close"}))
        for i in range(len(data)):
            c.send(data[i:i + 1])
        c.closed_by_peer(5)
        rs = parse_all(c.buf)
        t.ok(len(rs) == 2 and all(r.status == 200 for r in rs),
             "2 requests sent byte by byte get 2 answers",
             c.buf[-300:])


def test_chunked_body(t):
    # keep-alive is granted only while another worker is idle (keep-alive
    # fairness): let the workers of the tests before finish first
    D.wait_idle()
    with Conn(D.port) as c:
        body = CHAT_BODY
        parts = [body[:10], body[10:25], body[25:]]
        enc = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, JSON_CT, {"Transfer-Encoding": "chunked"})) +
               enc + b"0\r\n\r\n")
        r = c.recv_response(5)
        t.ok(r is not None and r.status not in (408, 411, 413) and
             dialect_answer(r.status, r.body, "openai", r.headers) and
             b"chunk" not in r.body,
             "a chunked request body is accepted", repr(r))
        t.ok(r is not None and r.headers.get("connection") == "keep-alive",
             "the connection stays open after a chunked body", repr(r))
        c.send(http_req("GET", "/health"))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 200,
             "the next request on the connection is in step", repr(r))
        # extensions, upper-case hex, a trailer, chunks in many writes
        c.send(http_req("POST", "/v1/messages",
                        h(AUTH, JSON_CT, {"Transfer-Encoding": "chunked"})))
        body = CLAUDE_BODY
        c.send(b"A;ext=1\r\n" + body[:10] + b"\r\n")
        time.sleep(0.05)
        rest = body[10:]
        c.send(b"%X\r\n" % len(rest) + rest + b"\r\n")
        time.sleep(0.05)
        c.send(b"0\r\nX-Trailer: yes\r\n\r\n")
        r = c.recv_response(5)
        t.ok(r is not None and r.status not in (408, 413) and
             dialect_answer(r.status, r.body, "claude", r.headers) and
             b"chunk" not in r.body and b"trailer" not in r.body,
             "chunk extensions, upper-case sizes and trailers are "
             "accepted", repr(r))
        c.send(http_req("GET", "/health", {"Connection": "close"}))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 200,
             "and the connection is still in step", repr(r))


def test_expect_continue(t):
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, JSON_CT, {"Expect": "100-continue",
                                          "Content-Length":
                                          str(len(CHAT_BODY))})))
        r = c.recv_response(3)
        t.ok(r is not None and r.status == 100,
             "Expect: 100-continue gets a 100 before the body", repr(r))
        t.ok(r is not None and r.raw_head.startswith("HTTP/1.1 100 Continue"),
             "the interim answer is 'HTTP/1.1 100 Continue'",
             r.raw_head if r else "")
        c.send(CHAT_BODY)
        r = c.recv_response(5)
        t.ok(r is not None and r.status >= 200 and
             dialect_answer(r.status, r.body, "openai", r.headers),
             "the final answer follows the body", repr(r))
        c.send(http_req("GET", "/health", {"Connection": "close"}))
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 200,
             "the connection stays in step after 100-continue", repr(r))
    # refused before the body: no 100, a final answer, close
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(JSON_CT, {"Expect": "100-continue",
                                    "Content-Length": "50"})))
        r = c.recv_response(3)
        t.ok(r is not None and r.status == 401,
             "unauthorized Expect: 100-continue gets 401 without a 100",
             repr(r))
        t.ok(c.closed_by_peer(3),
             "and the connection is closed (the body never comes)")
    with Conn(D.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        h(AUTH, {"Expect": "100-continue",
                                 "Content-Length": str(MAX_BODY * 4)})))
        r = c.recv_response(3)
        t.ok(r is not None and r.status == 413,
             "Expect: 100-continue with a too-large body gets 413, "
             "no 100", repr(r))


def test_http10(t):
    # keep-alive is granted only while another worker is idle (keep-alive
    # fairness): let the workers of the tests before finish first
    D.wait_idle()
    with Conn(D.port) as c:
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        r = c.recv_response(5)
        t.ok(r is not None and r.status == 200,
             "an HTTP/1.0 request without Host is answered", repr(r))
        if r is not None:
            t.eq(r.headers.get("connection"), "close",
                 "HTTP/1.0 answer says Connection: close")
            t.eq((jbody(r.body) or {}).get("status"), "healthy",
                 "HTTP/1.0 answer carries the health body")
        t.ok(c.closed_by_peer(3), "the server closes the HTTP/1.0 "
             "connection")
    with Conn(D.port) as c:
        c.send(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r1 = c.recv_response(5)
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        r2 = c.recv_response(5)
        t.ok(r1 is not None and r1.headers.get("connection") ==
             "keep-alive" and r2 is not None and r2.status == 200,
             "HTTP/1.0 with Connection: keep-alive keeps the connection",
             "%r %r" % (r1, r2))
    # HTTP/1.1 without Host is a client error
    out = raw(D.port, b"GET /health HTTP/1.1\r\n\r\n", 3)
    rs = parse_all(out)
    t.ok(len(rs) == 1 and rs[0].status == 400,
         "HTTP/1.1 without Host is 400", out[:300])
    t.ok(len(rs) == 1 and
         rs[0].headers.get("access-control-allow-origin") == "*" and
         rs[0].headers.get("connection") == "close",
         "that 400 carries CORS and Connection: close", out[:300])
    out = raw(D.port, b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 3)
    rs = parse_all(out)
    t.ok(len(rs) == 1 and rs[0].status == 505, "HTTP/2.0 is 505",
         out[:300])


def test_provider_prefix(t):
    cases = [
        ("POST", "/claude-kiro-oauth/v1/messages", CLAUDE_BODY, "claude"),
        ("POST", "/v1/messages?beta=true", CLAUDE_BODY, "claude"),
        ("POST", "/claude-kiro-oauth/v1/messages/count_tokens", CLAUDE_BODY,
         "claude"),
        ("POST", "/claude-kiro-oauth/v1/chat/completions", CHAT_BODY,
         "openai"),
        ("GET", "/claude-kiro-oauth/v1/models", None, "openai"),
        ("GET", "/gemini-cli-oauth/v1beta/models", None, "gemini"),
    ]
    for method, path, body, dialect in cases:
        st, hd, b = request(D, method, path, h(AUTH, JSON_CT), body)
        t.ok(st not in (401, 404, 405) and dialect_answer(st, b, dialect, hd),
             "%s %s routes as the %s dialect (%d)" % (method, path, dialect,
                                                      st), b)
    st, hd, b = request(D, "POST", "/claude-kiro-oauth/v1/messages",
                        JSON_CT, CLAUDE_BODY)
    t.ok(st == 401 and jbody(b) == CLAUDE_401,
         "/claude-kiro-oauth/v1/messages without a key: Claude 401",
         "%d %r" % (st, b))
    st, hd, b = request(D, "GET", "/gemini-cli-oauth/v1beta/models")
    t.ok(st == 401 and jbody(b) == GEMINI_401,
         "/gemini-cli-oauth/v1beta/models without a key: Gemini 401",
         "%d %r" % (st, b))
    st, hd, b = request(D, "GET", "/claude-kiro-oauth/nope", AUTH)
    t.eq(st, 404, "/claude-kiro-oauth/nope is 404")
    st, hd, b = request(D, "GET", "/claude-kiro-oauth/health")
    t.eq(st, 200, "/claude-kiro-oauth/health is 200")
    t.eq((jbody(b) or {}).get("provider"), "claude-kiro-oauth",
         "prefixed health names that provider")
    st, hd, b = request(D, "GET", "/openai-custom/health")
    t.eq((jbody(b) or {}).get("provider"), "openai-custom",
         "/openai-custom/health names openai-custom")


def test_dialect_routes(t):
    cases = [
        ("GET", "/v1/models", None, "openai"),
        ("POST", "/v1/chat/completions", CHAT_BODY, "openai"),
        ("POST", "/v1/messages", CLAUDE_BODY, "claude"),
        ("POST", "/v1/messages/count_tokens", CLAUDE_BODY, "claude"),
        ("GET", "/v1beta/models", None, "gemini"),
        ("GET", "/v1beta/models/gemini-2.5-pro", None, "gemini"),
        ("POST", "/v1beta/models/claude-sonnet-4-20250514:generateContent",
         GEMINI_BODY, "gemini"),
        ("POST", "/v1beta/models/%s:streamGenerateContent?alt=sse" % MODEL,
         GEMINI_BODY, "gemini"),
    ]
    for method, path, body, dialect in cases:
        st, hd, b = request(D, method, path, h(AUTH, JSON_CT), body)
        t.ok(st not in (401, 405) and dialect_answer(st, b, dialect, hd),
             "%s %s answers in the %s dialect (%d)" % (method, path, dialect,
                                                       st), b)
        if st >= 400 and dialect == "gemini" and is_gemini_error(b):
            t.eq(jbody(b)["error"]["code"], st,
                 "Gemini error code matches the HTTP status")


def start():
    global D
    D = Daemon({"WORKERS": 3, "MAX_WORKERS": 3, "MAX_BODY_BYTES": MAX_BODY,
                "HEADER_TIMEOUT_SECONDS": 1, "BODY_TIMEOUT_SECONDS": 2,
                "KEEPALIVE_TIMEOUT_SECONDS": 5})
    return D


if __name__ == "__main__":
    main([test_health, test_head_health, test_auth_ways,
          test_auth_failures, test_not_found, test_method_not_allowed,
          test_options, test_cors_everywhere, test_model_provider_header,
          test_413_content_length, test_413_chunked, test_431,
          test_408_slow_head, test_408_slow_body, test_keepalive,
          test_keepalive_with_http_client, test_pipelining,
          test_chunked_body, test_expect_continue, test_http10,
          test_provider_prefix, test_dialect_routes],
         start=start)
