#!/usr/bin/env python3
"""
selftest.py: drives tests/mock/mockup through every directive, endpoint
and HTTP corner it promises to handle, and checks the event-stream
frames with an independent decoder (zlib CRC-32).  Not part of `make
check`; run it by hand after changing the mock:

    python3 tests/mock/selftest.py [path/to/mockup]

Default binary: $MOCKUP, else ./tests/mock/mockup in the current
directory (a build tree).  Prints TAP.  Python 3 standard library only.
"""

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
MOCKUP = (sys.argv[1] if len(sys.argv) > 1 else
          os.environ.get("MOCKUP", os.path.join(os.getcwd(), "tests",
                                                "mock", "mockup")))

results = []


def ok(cond, name):
    results.append((bool(cond), name))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    sys.stdout.flush()


class Mock:
    def __init__(self, *args):
        self.p = subprocess.Popen(
            [MOCKUP, "-p", "0", "--quiet", "--fixtures", FIXTURES] +
            list(args), stdout=subprocess.PIPE)
        line = self.p.stdout.readline().decode()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def stop(self):
        t = time.time()
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(5)
        return rc, time.time() - t

    def req(self, method, path, body=None, headers=None, raw=False):
        c = self.conn()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        if raw:
            return r, data
        try:
            return r.status, json.loads(data) if data else None, r
        except ValueError:
            return r.status, data, r

    def chat(self, content, token="T1", extra=None, path="/generateAssistantResponse"):
        uim = {"content": content, "modelId": "claude-sonnet-4.5",
               "origin": "AI_EDITOR"}
        if extra:
            uim.update(extra)
        body = {"conversationState": {"currentMessage":
                                      {"userInputMessage": uim}}}
        h = {"Authorization": "Bearer " + token} if token else {}
        return self.req("POST", path, body, h, raw=True)


def frames(data):
    """Decode an event-stream body; raises on any CRC/length error."""
    out = []
    off = 0
    while off < len(data):
        total, hlen = struct.unpack(">II", data[off:off + 8])
        (pcrc,) = struct.unpack(">I", data[off + 8:off + 12])
        assert zlib.crc32(data[off:off + 8]) == pcrc, "prelude crc"
        msg = data[off:off + total]
        assert len(msg) == total, "short frame"
        (mcrc,) = struct.unpack(">I", msg[-4:])
        assert zlib.crc32(msg[:-4]) == mcrc, "message crc"
        h = {}
        p = 12
        while p < 12 + hlen:
            nl = msg[p]
            name = msg[p + 1:p + 1 + nl].decode()
            p += 1 + nl
            assert msg[p] == 7
            (vl,) = struct.unpack(">H", msg[p + 1:p + 3])
            h[name] = msg[p + 3:p + 3 + vl].decode()
            p += 3 + vl
        payload = msg[12 + hlen:-4]
        out.append((h, json.loads(payload) if payload else None))
        off += total
    return out


def text_of(fr):
    return "".join(p["content"] for h, p in fr
                   if h.get(":event-type") == "assistantResponseEvent")


def raw_exchange(port, data, wait=1.0, shut=False):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    s.settimeout(wait)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return got


def kiro_body(content):
    return json.dumps({"conversationState": {"currentMessage": {
        "userInputMessage": {"content": content}}}}).encode()


def main():
    m = Mock("--token", "T1", "--refresh-token", "R1")
    P = m.port

    # --- default answer
    r, d = m.chat("hello")
    fr = frames(d)
    ok(r.status == 200 and r.getheader("Content-Type") ==
       "application/vnd.amazon.eventstream" and
       r.getheader("Transfer-Encoding") == "chunked", "default: head")
    ok(text_of(fr) == "Hello from mock Kiro." and len(fr) == 4 and
       fr[0][0][":message-type"] == "event" and
       fr[0][0][":content-type"] == "application/json" and
       fr[2][0][":event-type"] == "meteringEvent" and
       fr[3][1] == {"contextUsagePercentage": 1.5}, "default: frames")

    # --- auth
    st, body, _ = m.req("POST", "/generateAssistantResponse",
                        kiro_body("x"), {"Authorization": "Bearer nope"})
    ok(st == 403 and body == {"message": "The bearer token included in "
                              "the request is invalid."}, "bad token: 403")
    st, body, _ = m.req("POST", "/generateAssistantResponse", kiro_body("x"))
    ok(st == 403, "no token: 403")
    st, body, _ = m.req("POST", "/generateAssistantResponse", b"{not json",
                        {"Authorization": "Bearer T1"})
    ok(st == 400, "broken JSON: 400")

    # --- echo
    s = 'Line1\nTab\t"quoted" \\ back ✓ 你好 😀 MOCK:echo end'
    r, d = m.chat(s)
    fr = frames(d)
    ok(len(fr) == 1 and text_of(fr) == s, "echo verbatim")
    big = ("abcé" * 400000) + " MOCK:echo"
    r, d = m.chat(big)
    fr = frames(d)
    ok(text_of(fr) == big and len(fr) >= 2, "echo of 2 MB splits frames")

    # --- fixture
    r, d = m.chat("MOCK:fixture:text-answer")
    want = open(os.path.join(FIXTURES, "kiro", "text-answer.bin"), "rb").read()
    ok(r.status == 200 and d == want, "fixture bytes")
    r, d = m.chat("MOCK:fixture:../etc")
    ok(r.status == 400, "fixture name checked")
    r, d = m.chat("MOCK:fixture:nonexistent")
    ok(r.status == 400, "missing fixture: 400")

    # --- events
    r, d = m.chat("MOCK:events:200")
    fr = frames(d)
    ok(len(fr) == 202 and fr[0][1]["content"] == "w1 " and
       fr[199][1]["content"] == "w200 ", "events:200")
    r, d = m.chat("MOCK:events:7")
    ok(len(frames(d)) == 9, "events:7")
    r, d = m.chat("MOCK:events:x")
    ok(r.status == 400, "events: bad arg")

    # --- tool
    r, d = m.chat("weather? MOCK:tool")
    fr = frames(d)
    tu = [p for h, p in fr if h[":event-type"] == "toolUseEvent"]
    ok(len(tu) == 5 and tu[0]["toolUseId"] == "tooluse_mock_1" and
       json.loads("".join(p.get("input", "") for p in tu)) ==
       {"city": "Berlin", "unit": "celsius"} and tu[4]["stop"] is True,
       "tool call frames")
    r, d = m.chat("again MOCK:tool")
    tu = [p for h, p in frames(d) if h[":event-type"] == "toolUseEvent"]
    ok(tu[0]["toolUseId"] == "tooluse_mock_2", "tool id counter")
    tr = {"userInputMessageContext": {"toolResults": [
        {"content": [{"text": "12 C"}], "status": "success",
         "toolUseId": "tooluse_mock_2"}]}}
    r, d = m.chat("MOCK:tool", extra=tr)
    ok(text_of(frames(d)) == "The weather is fine.", "tool result answer")
    body = {"conversationState": {
        "history": [
            {"userInputMessage": {"content": "weather? MOCK:tool"}},
            {"assistantResponseMessage": {"content": "x", "toolUses": []}}],
        "currentMessage": {"userInputMessage": dict(
            content="Tool results provided.", **tr)}}}
    r, d = m.req("POST", "/generateAssistantResponse", body,
                 {"Authorization": "Bearer T1"}, raw=True)
    ok(text_of(frames(d)) == "The weather is fine.",
       "tool round trip via history")

    # --- slow (incremental, non-blocking)
    s1 = socket.create_connection(("127.0.0.1", P))
    b = kiro_body("MOCK:slow:150:4")
    s1.sendall(b"POST /generateAssistantResponse HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: Bearer T1\r\nContent-Length: %d\r\n\r\n%s"
               % (len(b), b))
    t0 = time.time()
    got = s1.recv(65536)
    first = time.time() - t0
    # Meanwhile another client is served at once.
    t1 = time.time()
    r, d = m.chat("hello")
    other = time.time() - t1
    s1.settimeout(5)
    while not got.endswith(b"0\r\n\r\n"):
        got += s1.recv(65536)
    total = time.time() - t0
    s1.close()
    ok(first < 0.1 and other < 0.1 and 0.4 < total < 1.5,
       "slow:150:4 timing (first %.3f other %.3f total %.3f)" %
       (first, other, total))
    body = got.split(b"\r\n\r\n", 1)[1]
    dechunk = b""
    while True:
        ln, body = body.split(b"\r\n", 1)
        n = int(ln, 16)
        if n == 0:
            break
        dechunk += body[:n]
        body = body[n + 2:]
    ok(text_of(frames(dechunk)) == "chunk 1 chunk 2 chunk 3 chunk 4 ",
       "slow frames")

    # --- status / fail
    st, body, _ = m.req("POST", "/generateAssistantResponse",
                        kiro_body("MOCK:status:500"),
                        {"Authorization": "Bearer T1"})
    ok(st == 500 and body == {"message": "mock error 500"}, "status:500")
    st, body, _ = m.req("POST", "/generateAssistantResponse",
                        kiro_body("MOCK:status:429"),
                        {"Authorization": "Bearer bad"})
    ok(st == 429, "status wins over the token check")
    sts = [m.chat("MOCK:fail:429:2")[0].status for i in range(3)]
    ok(sts == [429, 429, 200], "fail:429:2 %r" % sts)
    sts = [m.chat("x MOCK:fail:503:1")[0].status for i in range(2)]
    ok(sts == [503, 200], "fail counter per directive text")
    m.req("POST", "/_mock/reset", b"")
    ok(m.chat("MOCK:fail:429:2")[0].status == 429, "reset clears counters")
    st, body, _ = m.req("POST", "/generateAssistantResponse",
                        kiro_body("MOCK:fail:403:1"),
                        {"Authorization": "Bearer T1"})
    ok(st == 403 and "bearer token" in body["message"], "fail:403 body")

    # --- cut
    c = m.conn()
    c.request("POST", "/generateAssistantResponse", kiro_body("MOCK:cut"),
              {"Authorization": "Bearer T1"})
    r = c.getresponse()
    try:
        r.read()
        cut_ok = False
    except http.client.IncompleteRead as e:
        cut_ok = len(e.partial) > 0
    c.close()
    ok(cut_ok, "cut: incomplete body")

    # --- exceptions
    r, d = m.chat("MOCK:exception:ThrottlingException")
    fr = frames(d)
    ok(len(fr) == 2 and fr[1][0][":message-type"] == "exception" and
       fr[1][0][":exception-type"] == "ThrottlingException" and
       fr[1][1] == {"message": "mock ThrottlingException"},
       "exception midstream")
    r, d = m.chat("MOCK:exception-first:ValidationException")
    fr = frames(d)
    ok(len(fr) == 1 and fr[0][0][":exception-type"] ==
       "ValidationException", "exception first")

    # --- delay
    t = time.time()
    r, d = m.chat("MOCK:delay:300")
    el = time.time() - t
    ok(0.28 < el < 1.0 and text_of(frames(d)) == "Hello from mock Kiro.",
       "delay:300 (%.3f)" % el)

    # --- image
    img = {"images": [{"format": "png", "source": {"bytes": "AAAA"}},
                      {"format": "jpeg", "source": {"bytes": "BBBB"}}]}
    r, d = m.chat("look MOCK:image", extra=img)
    ok(text_of(frames(d)) == "2 images: png, jpeg", "image")
    r, d = m.chat("look MOCK:image")
    ok(text_of(frames(d)) == "0 images", "image: none")

    # --- unknown directive
    r, d = m.chat("MOCK:nonsense")
    ok(r.status == 400, "unknown directive: 400")

    # --- usage
    st, body, _ = m.req("GET", "/getUsageLimits?isEmailRequired=true&"
                        "origin=AI_EDITOR", None,
                        {"Authorization": "Bearer T1"})
    ok(st == 200 and body["usageBreakdownList"][0]["usageLimit"] == 50,
       "usage")
    st, body, _ = m.req("GET", "/getUsageLimits", None,
                        {"Authorization": "Bearer X"})
    ok(st == 403, "usage: token checked")

    # --- social refresh
    st, body, _ = m.req("POST", "/refreshToken", {"refreshToken": "R1"})
    ok(st == 200 and body["accessToken"] == "mock-access-1" and
       body["refreshToken"] == "mock-refresh-1" and body["expiresIn"] ==
       3600 and body["profileArn"].endswith("profile/MOCK"),
       "social refresh")
    ok(m.chat("hi", token="mock-access-1")[0].status == 200,
       "issued token valid")
    ok(m.chat("hi", token="T1")[0].status == 200, "old token still valid")
    st, body, _ = m.req("POST", "/refreshToken", {"refreshToken": "nope"})
    ok(st == 400 and body == {"error": "invalid_grant",
                              "error_description": "Invalid refresh token"},
       "social refresh: bad token")
    st, body, _ = m.req("POST", "/refreshToken",
                        {"refreshToken": "mock-refresh-1"})
    ok(st == 200 and body["accessToken"] == "mock-access-2",
       "issued refresh token valid")

    # --- IdC refresh
    idc = {"refreshToken": "R1", "clientId": "cid", "clientSecret": "cs",
           "grantType": "refresh_token"}
    st, body, _ = m.req("POST", "/token", idc)
    ok(st == 200 and set(body) == {"accessToken", "tokenType", "expiresIn",
                                   "refreshToken"} and
       body["tokenType"] == "Bearer", "idc refresh")
    st, body, _ = m.req("POST", "/token", dict(idc, grantType="password"))
    ok(st == 400 and body == {"error": "invalid_request"}, "idc: grantType")
    st, body, _ = m.req("POST", "/token", dict(idc, clientSecret=""))
    ok(st == 400 and body == {"error": "invalid_request"},
       "idc: clientSecret")

    # --- control
    st, body, _ = m.req("GET", "/_mock/stats")
    ok(st == 200 and body["refresh_social"] == 3 and body["refresh_idc"] == 3
       and body["usage"] == 2, "stats %r" % body)
    st, recs, _ = m.req("GET", "/_mock/requests")
    last = recs[-1]
    ok(st == 200 and last["path"] == "/token" and last["method"] == "POST"
       and last["body"]["clientId"] == "cid" and
       last["headers"]["content-type"] == "application/json" and
       isinstance(last["time_ms"], int) and
       recs[-2]["n"] + 1 == last["n"], "requests log")
    u = [x for x in recs if x["path"] == "/getUsageLimits"][0]
    ok(u["query"] == "isEmailRequired=true&origin=AI_EDITOR" and
       u["body"] == "" and u["headers"]["authorization"] == "Bearer T1",
       "requests log: GET with query")
    st, body, _ = m.req("POST", "/_mock/config", {"valid_tokens": ["A", "B"]})
    ok(st == 200 and m.chat("x", token="T1")[0].status == 403 and
       m.chat("x", token="B")[0].status == 200, "config valid_tokens")
    m.req("POST", "/_mock/config", {"add_token": "C", "revoke_token": "A"})
    ok(m.chat("x", token="C")[0].status == 200 and
       m.chat("x", token="A")[0].status == 403, "config add/revoke")
    m.req("POST", "/_mock/config", {"refresh_status": 503})
    st, body, _ = m.req("POST", "/refreshToken", {"refreshToken": "R1"})
    ok(st == 503 and body["error"] == "server_error", "refresh_status")
    m.req("POST", "/_mock/config", {"refresh_status": 0,
                                    "refresh_delay_ms": 300,
                                    "expires_in": 60})
    t = time.time()
    st, body, _ = m.req("POST", "/refreshToken", {"refreshToken": "R1"})
    ok(st == 200 and time.time() - t > 0.28 and body["expiresIn"] == 60,
       "refresh_delay_ms and expires_in")
    m.req("POST", "/_mock/config", {"refresh_delay_ms": 0,
                                    "refresh_tokens": ["Z"]})
    ok(m.req("POST", "/refreshToken", {"refreshToken": "R1"})[0] == 400 and
       m.req("POST", "/refreshToken", {"refreshToken": "Z"})[0] == 200,
       "config refresh_tokens")
    st, body, _ = m.req("POST", "/_mock/config", {"bogus": 1})
    ok(st == 400, "config: unknown member")
    st, body, _ = m.req("POST", "/_mock/config", {"valid_tokens": "x"})
    ok(st == 400, "config: bad type")
    m.req("POST", "/_mock/config", {"valid_tokens": ["T1"]})
    m.req("POST", "/_mock/reset", b"")
    st, body, _ = m.req("GET", "/_mock/stats")
    st2, recs, _ = m.req("GET", "/_mock/requests")
    ok(body == {"chat": 0, "refresh_social": 0, "refresh_idc": 0,
                "usage": 0} and recs == [], "reset")
    ok(m.req("GET", "/nothing")[0] == 404 and
       m.req("GET", "/generateAssistantResponse")[0] == 404 and
       m.req("GET", "/_mock/nothing")[0] == 404, "404s")

    # --- HTTP corners
    b = kiro_body("MOCK:echo one")
    reqs = b""
    for content in ("MOCK:echo one", "MOCK:delay:200", "MOCK:echo three"):
        b = kiro_body(content)
        reqs += (b"POST /generateAssistantResponse HTTP/1.1\r\nHost: x\r\n"
                 b"Authorization: Bearer T1\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(b), b))
    got = raw_exchange(P, reqs, wait=1.0)
    ok(got.count(b"HTTP/1.1 200") == 3 and got.index(b"one") <
       got.index(b"Hello from") < got.index(b"three"),
       "pipelining keeps order across a delay")

    b = kiro_body("MOCK:echo chunked")
    ch = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(b[i:i + 7]), b[i:i + 7])
                  for i in range(0, len(b), 7))
    got = raw_exchange(P, b"POST /generateAssistantResponse HTTP/1.1\r\n"
                       b"Authorization: Bearer T1\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + ch +
                       b"0\r\nX-Trailer: y\r\n\r\n" +
                       b"GET /_mock/stats HTTP/1.1\r\n\r\n")
    ok(b"MOCK:echo chunked" in got and got.count(b"HTTP/1.1 200") == 2,
       "chunked request body with trailer, then pipelined request")

    s = socket.create_connection(("127.0.0.1", P))
    b = kiro_body("MOCK:echo slowly")
    s.sendall(b"POST /generateAssistantResponse HTTP/1.1\r\n"
              b"Authorization: Bearer T1\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(b))
    s.settimeout(2)
    cont = s.recv(100)
    for i in range(len(b)):
        s.send(b[i:i + 1])
    got = b""
    while b"0\r\n\r\n" not in got:
        got += s.recv(65536)
    s.close()
    ok(cont == b"HTTP/1.1 100 Continue\r\n\r\n" and b"slowly" in got,
       "100-continue and a body sent byte by byte")

    got = raw_exchange(P, b"GARBAGE\r\n\r\n")
    ok(got.startswith(b"HTTP/1.1 400") and b"Connection: close" in got,
       "garbage request line: 400 and close")
    got = raw_exchange(P, os.urandom(4096) + b"\r\n\r\n")
    ok(got.startswith(b"HTTP/1.1 400") or got == b"", "random bytes")
    got = raw_exchange(P, b"GET / HTTP/1.1\r\nX: " + b"a" * 70000 +
                       b"\r\n\r\n")
    ok(got.startswith(b"HTTP/1.1 431"), "huge head: 431")
    got = raw_exchange(P, b"POST /generateAssistantResponse HTTP/1.1\r\n"
                       b"Content-Length: 99999999999\r\n\r\n")
    ok(got.startswith(b"HTTP/1.1 413"), "huge content-length: 413")
    got = raw_exchange(P, b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked"
                       b"\r\n\r\nffffffffffff\r\n")
    ok(got.startswith(b"HTTP/1.1 413"), "huge chunk: 413")
    got = raw_exchange(P, b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked"
                       b"\r\n\r\nzz\r\n")
    ok(got.startswith(b"HTTP/1.1 400"), "bad chunk size: 400")
    got = raw_exchange(P, b"GET /_mock/stats HTTP/1.0\r\n\r\n", wait=2)
    ok(got.startswith(b"HTTP/1.1 200") and b"Connection: close" in got,
       "HTTP/1.0 closes")
    deep = b"[" * 200000
    st, body, _ = m.req("POST", "/generateAssistantResponse",
                        b'{"conversationState":' + deep,
                        {"Authorization": "Bearer T1"})
    ok(st == 400, "deep nesting: 400")
    st, body, _ = m.req("POST", "/_mock/config", deep)
    ok(st == 400, "deep nesting in config: 400")

    c = m.conn()
    n200 = 0
    for i in range(200):
        c.request("POST", "/generateAssistantResponse", kiro_body("k"),
                  {"Authorization": "Bearer T1"})
        r = c.getresponse()
        r.read()
        n200 += r.status == 200
    c.close()
    ok(n200 == 200, "200 requests on one keep-alive connection")

    # Half-closed client while a slow answer is pending: no crash.
    raw_exchange(P, b"POST /generateAssistantResponse HTTP/1.1\r\n"
                 b"Authorization: Bearer T1\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(kiro_body("MOCK:slow:50:3")),
                    kiro_body("MOCK:slow:50:3")), wait=0.05)
    time.sleep(0.3)
    ok(m.chat("alive?")[0].status == 200, "alive after abandoned stream")

    st, recs, _ = m.req("GET", "/_mock/requests")
    ok(len(recs) <= 1000, "log is bounded")

    rc, el = m.stop()
    ok(rc == 0 and el < 1, "SIGTERM exits promptly (%.3f s)" % el)

    # --- rotate-invalidates and the state file
    with tempfile.TemporaryDirectory() as td:
        sf = os.path.join(td, "state.json")
        m = Mock("--token", "A1", "--refresh-token", "R1",
                 "--rotate-invalidates", "--state", sf, "--expires-in", "99")
        st, body, _ = m.req("POST", "/refreshToken", {"refreshToken": "R1"})
        ok(st == 200 and body["expiresIn"] == 99, "rotate: refresh")
        ok(m.chat("x", token="A1")[0].status == 403 and
           m.chat("x", token=body["accessToken"])[0].status == 200 and
           m.req("POST", "/refreshToken", {"refreshToken": "R1"})[0] == 400,
           "rotate invalidates the old pair")
        m.stop()
        m = Mock("--state", sf)
        ok(m.chat("x", token="mock-access-1")[0].status == 200 and
           m.req("POST", "/refreshToken",
                 {"refreshToken": "mock-refresh-1"})[1]["accessToken"] ==
           "mock-access-2", "state file survives a restart")
        m.stop()

    # --- several processes
    m = Mock("-w", "2", "--any-token")
    ok(all(m.chat("x", token="whatever")[0].status == 200
           for i in range(20)), "-w 2 serves")
    pids = subprocess.run(["pgrep", "-P", str(m.p.pid)],
                          capture_output=True).stdout.split()
    rc, el = m.stop()
    time.sleep(0.2)
    alive = [p for p in pids if os.path.exists("/proc/%s" % p.decode())]
    ok(len(pids) == 2 and not alive and el < 2,
       "-w 2: SIGTERM stops every process (%.3f s)" % el)

    print("1..%d" % len(results))
    return 0 if all(r for r, n in results) else 1


if __name__ == "__main__":
    sys.exit(main())
