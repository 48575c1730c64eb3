"""
kirotest.py: helpers shared by the Kiro integration tests: credential
files, the fixture matcher of tests/fixtures/kiro (README rules), SSE
parsing and a daemon wired to a mock upstream.
"""

import base64
import json
import os
import re
import socket
import time

import harness
import mockup

FIXTURES = os.path.join(harness.HERE, "..", "fixtures", "kiro")
ARN = "arn:aws:codewhisperer:us-east-1:000000000000:profile/FAKE"


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def social_cred(access="tok-1", refresh="ref-1", expires_in=3600 * 24,
                **extra):
    c = {"accessToken": access, "refreshToken": refresh,
         "expiresAt": iso(time.time() + expires_in), "authMethod": "social",
         "profileArn": ARN, "provider": "Google", "region": "us-east-1"}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def idc_cred(access="tok-1", refresh="ref-1", expires_in=3600 * 24):
    return {"accessToken": access, "refreshToken": refresh,
            "expiresAt": iso(time.time() + expires_in),
            "authMethod": "IdC", "provider": "BuilderId",
            "region": "us-east-1", "clientId": "FAKE-client-id",
            "clientSecret": "FAKE-client-secret"}


def write_json(path, obj, mode=0o600):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
    os.chmod(path, mode)


def b64(obj):
    return base64.b64encode(json.dumps(obj).encode()).decode()


def daemon(mock, cred=None, config=None, cred_name="kiro-auth-token.json",
           env=None, start=True):
    """A daemon whose Kiro account is cred (written to its directory)."""
    d = harness.Daemon(config={}, start=False, env=env)
    cfg = dict(mock.kiro_config())
    if cred is not None:
        path = os.path.join(d.dir, cred_name)
        write_json(path, cred)
        cfg["KIRO_OAUTH_CREDS_FILE_PATH"] = path
    cfg["REQUEST_BASE_DELAY"] = 20
    cfg.update(config or {})
    d.write_config(cfg)
    if start:
        d.start()
    return d


def hdrs(d):
    return {"x-api-key": d.api_key, "content-type": "application/json",
            "anthropic-version": "2023-06-01"}


def messages(d, body, path="/v1/messages", headers=None, timeout=30):
    h = hdrs(d)
    h.update(headers or {})
    return harness.request(d, "POST", path, h, json.dumps(body),
                           timeout=timeout)


def claude_req(text="hi", stream=False, model="claude-sonnet-4-5", **kw):
    b = {"model": model, "max_tokens": 256, "stream": stream,
         "messages": [{"role": "user", "content": text}]}
    b.update(kw)
    return b


def parse_sse(data):
    """[(event, data-object-or-text)] of an SSE body (comments dropped)."""
    out = []
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    for block in re.split(r"\r?\n\r?\n", text):
        ev, lines = None, []
        for ln in block.splitlines():
            if ln.startswith(":"):
                continue
            if ln.startswith("event:"):
                ev = ln[6:].strip()
            elif ln.startswith("data:"):
                lines.append(ln[5:].lstrip(" "))
        if not lines and ev is None:
            continue
        payload = "\n".join(lines)
        try:
            payload = json.loads(payload)
        except ValueError:
            pass
        out.append((ev, payload))
    return out


def merge_deltas(events):
    """README rule: consecutive deltas of one block and type merged;
    pings dropped."""
    out = []
    for ev, d in events:
        if ev == "ping":
            continue
        if (ev == "content_block_delta" and out and
                out[-1][0] == "content_block_delta" and
                out[-1][1]["index"] == d["index"] and
                out[-1][1]["delta"]["type"] == d["delta"]["type"]):
            prev = out[-1][1]["delta"]
            for k in ("text", "partial_json", "thinking"):
                if k in d["delta"]:
                    prev[k] = prev.get(k, "") + d["delta"][k]
            continue
        out.append((ev, json.loads(json.dumps(d))))
    return out


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                  r"-[0-9a-f]{12}$")


def match(want, got, path="", in_usage=False):
    """None when got matches want (README matchers), else a message."""
    if isinstance(want, str) and want.startswith("<<") and \
            want.endswith(">>"):
        m = want[2:-2]
        if m == "int":
            ok = isinstance(got, int) and not isinstance(got, bool) and \
                got >= 0
        elif m == "uuid":
            ok = isinstance(got, str) and UUID.match(got) is not None
        elif m.startswith("re:"):
            ok = isinstance(got, str) and re.fullmatch(m[3:], got)
        elif m.startswith("contains:"):
            ok = isinstance(got, str) and m[9:] in got
        elif m.startswith("trim:"):
            ok = isinstance(got, str) and got.strip() == m[5:]
        elif m.startswith("json:"):
            try:
                ok = isinstance(got, str) and \
                    json.loads(got) == json.loads(m[5:])
            except ValueError:
                ok = False
        else:
            return "%s: unknown matcher %s" % (path, want)
        return None if ok else "%s: %r does not match %s" % (path, got, want)
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: expected an object, got %r" % (path, got)
        for k, v in want.items():
            if k not in got:
                return "%s.%s: missing" % (path, k)
            e = match(v, got[k], path + "." + k, in_usage or k == "usage")
            if e:
                return e
        if not in_usage:
            extra = set(got) - set(want)
            if extra:
                return "%s: unexpected members %s" % (path, sorted(extra))
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: expected %d items, got %r" % (path, len(want), got)
        for i, (a, b) in enumerate(zip(want, got)):
            e = match(a, b, "%s[%d]" % (path, i), in_usage)
            if e:
                return e
        return None
    return None if want == got else "%s: %r != %r" % (path, got, want)


def stream_raw(d, body, path="/v1/messages", read_first_only=False,
               timeout=30):
    """POST a stream request on a raw socket; returns (head, [(t, chunk)])
    with arrival times of the body pieces, so tests can see pacing."""
    data = json.dumps(body).encode()
    s = harness.connect(d.port, timeout=timeout)
    req = ("POST %s HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\n"
           "Connection: close\r\n\r\n" % (path, d.api_key, len(data)))
    t0 = time.monotonic()
    s.sendall(req.encode() + data)
    buf = b""
    pieces = []
    while True:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            break
        pieces.append((time.monotonic() - t0, c))
        buf += c
        if read_first_only and b"content_block_delta" in buf:
            break
    return s, buf, pieces
