"""
sdktest.py: helpers shared by test_sdk.py, test_guide.py,
test_dialects.py and test_sysprompt.py: the official SDKs installed
from npm into a cache outside the source tree and run through node,
what the mock Kiro upstream received, OpenAI / Gemini requests and
stream parsing, and small real files (PNG, JPEG, PDF) made on the spot.
"""

import base64
import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import harness
import kirotest as K

SDK_SRC = os.path.join(harness.HERE, "sdk")
MODEL = "claude-sonnet-4-5"
CHAT_PATH = "/generateAssistantResponse"

# ---------------------------------------------------------------------
# what the mock received


def chat_requests(mock):
    """The bodies of the chat calls the mock logged, oldest first."""
    return [r["body"] for r in mock.requests()
            if r["path"].endswith(CHAT_PATH)]


def chats_with(mock, marker):
    """The chat bodies whose JSON text contains marker as a word of its
    own (so "x-tool" does not find "x-tool-stream")."""
    pat = re.compile(r"(?<![\w-])" + re.escape(marker) + r"(?![\w-])")
    return [b for b in chat_requests(mock)
            if any(pat.search(s) for s in _strings(b))]


def _strings(x):
    """Every string inside a parsed JSON value."""
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)


def last_chat(mock):
    reqs = chat_requests(mock)
    return reqs[-1] if reqs else None


def current(body):
    """conversationState.currentMessage.userInputMessage of a Kiro body."""
    try:
        return body["conversationState"]["currentMessage"][
            "userInputMessage"]
    except (KeyError, TypeError):
        return {}


def history(body):
    try:
        return body["conversationState"].get("history", [])
    except (KeyError, TypeError, AttributeError):
        return []


def first_user_text(body):
    """The content that carries the system text in Kiro's body (kiro.md
    §4.4 step 6): the first history entry when there is history, else
    the current message."""
    h = history(body)
    if h and "userInputMessage" in h[0]:
        return h[0]["userInputMessage"].get("content")
    return current(body).get("content")


def tool_specs(body):
    ctx = current(body).get("userInputMessageContext") or {}
    return [t.get("toolSpecification", {}) for t in ctx.get("tools", [])]


# ---------------------------------------------------------------------
# requests in the three dialects


def openai(d, body, path="/v1/chat/completions", key=None, timeout=30,
           raw_body=None):
    h = {"Authorization": "Bearer " + (key or d.api_key),
         "Content-Type": "application/json"}
    data = raw_body if raw_body is not None else json.dumps(body)
    return harness.request(d, "POST", path, h, data, timeout=timeout)


def gemini_path(model, stream=False, sse=True):
    if not stream:
        return "/v1beta/models/%s:generateContent" % model
    return "/v1beta/models/%s:streamGenerateContent%s" % (
        model, "?alt=sse" if sse else "")


def gemini(d, body, model=MODEL, stream=False, sse=True, key=None,
           timeout=30, raw_body=None):
    h = {"x-goog-api-key": key or d.api_key,
         "Content-Type": "application/json"}
    data = raw_body if raw_body is not None else json.dumps(body)
    return harness.request(d, "POST", gemini_path(model, stream, sse), h,
                           data, timeout=timeout)


def claude(d, body, path="/v1/messages", timeout=30):
    return K.messages(d, body, path=path, timeout=timeout)


def sse_data(body):
    """The data payloads of an SSE body, in order (JSON decoded where it
    parses, else the text, e.g. "[DONE]"); comments dropped."""
    return [p for _, p in K.parse_sse(body)]


def sse_events(body):
    """[(event name or None, payload)] of an SSE body."""
    return K.parse_sse(body)


def openai_text(j):
    try:
        return j["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None


def gemini_text(j):
    try:
        return "".join(p.get("text", "") for p in
                       j["candidates"][0]["content"]["parts"])
    except (KeyError, IndexError, TypeError):
        return None


def openai_req(text, stream=False, model=MODEL, **kw):
    b = {"model": model, "messages": [{"role": "user", "content": text}]}
    if stream:
        b["stream"] = True
    b.update(kw)
    return b


def gemini_req(text, **kw):
    b = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    b.update(kw)
    return b


OPENAI_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather of a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}]

GEMINI_TOOLS = [{"functionDeclarations": [{
    "name": "get_weather", "description": "Get the weather of a city",
    "parameters": {"type": "OBJECT", "properties": {
        "city": {"type": "STRING"},
        "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}]}]

CLAUDE_TOOLS = [{"name": "get_weather",
                 "description": "Get the weather of a city",
                 "input_schema": {"type": "object", "properties": {
                     "city": {"type": "string"}}, "required": ["city"]}}]

# ---------------------------------------------------------------------
# small real files


def png_bytes(w=2, h=2, rgb=(200, 30, 30)):
    """A valid truecolour PNG of w x h pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + \
        chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_bytes(comment=b"aiclientd test image"):
    """A valid baseline JPEG: one 8x8 mid-grey block (DC 0, no AC
    coefficients), one-code Huffman tables, a COM segment so the file
    is long enough for base64 to wrap its lines."""
    def seg(marker, payload):
        return b"\xff" + bytes([marker]) + struct.pack(">H",
                                                       len(payload) + 2) + \
            payload
    app0 = seg(0xe0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    com = seg(0xfe, comment * 4)
    dqt = seg(0xdb, b"\x00" + b"\x01" * 64)
    sof = seg(0xc0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    one_code = bytes([1] + [0] * 15) + b"\x00"
    dht = seg(0xc4, b"\x00" + one_code + b"\x10" + one_code)
    sos = seg(0xda, b"\x01\x01\x00\x00\x3f\x00")
    # DC: code "0" (category 0); AC: code "0" (EOB); pad with ones
    return b"\xff\xd8" + app0 + com + dqt + sof + dht + sos + b"\x3f" + \
        b"\xff\xd9"


def pdf_bytes(text="aiclientd test document"):
    """A minimal valid one-page PDF that shows text."""
    content = ("BT /F1 12 Tf 20 50 Td (%s) Tj ET" % text).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] "
            b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content +
            b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" \
        % (len(objs) + 1, xref)
    return out


def b64(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------
# the SDKs from npm


def npm_cache_dir():
    """$AICLIENTD_NPM_CACHE, else tests/integration/node_modules-cache
    under the build directory (the current directory under make check;
    never the source tree, which is read-only under distcheck)."""
    v = os.environ.get("AICLIENTD_NPM_CACHE")
    if v:
        return os.path.abspath(v)
    cwd = os.getcwd()
    if os.path.basename(cwd) == "integration" and \
            os.path.basename(os.path.dirname(cwd)) == "tests":
        return os.path.join(cwd, "node_modules-cache")
    return os.path.join(cwd, "tests", "integration", "node_modules-cache")


def _node_major(node):
    try:
        p = subprocess.run([node, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return None, str(e)
    m = re.match(r"v(\d+)\.", p.stdout.decode("utf-8", "replace").strip())
    return (int(m.group(1)), None) if m else (None, p.stdout.decode())


def sdk_setup(log=None):
    """
    Install the packages of sdk/package.json (once; a stamp file
    remembers what is there) and copy the scripts next to them.
    Returns (cache directory, None) or (None, reason to skip).
    """
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        return None, "node or npm not found"
    major, err = _node_major(node)
    if major is None:
        return None, "node --version failed: %s" % err
    if major < 20:
        return None, "node %d is older than 20" % major
    with open(os.path.join(SDK_SRC, "package.json")) as f:
        deps = json.load(f)["dependencies"]
    specs = ["%s@%s" % (k, v) for k, v in sorted(deps.items())]
    cache = npm_cache_dir()
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError as e:
        return None, "cannot create %s: %s" % (cache, e)
    stamp = os.path.join(cache, ".aiclientd-sdk-stamp")
    with open(os.path.join(cache, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                have = f.read()
        except OSError:
            have = None
        present = all(os.path.exists(os.path.join(
            cache, "node_modules", name, "package.json")) for name in deps)
        if have != json.dumps(specs) or not present:
            if log:
                log("installing %s into %s" % (" ".join(specs), cache))
            env = dict(os.environ)
            env["npm_config_update_notifier"] = "false"
            try:
                p = subprocess.run(
                    [npm, "install", "--no-audit", "--no-fund",
                     "--fetch-retries=1", "--fetch-retry-mintimeout=1000",
                     "--fetch-retry-maxtimeout=5000",
                     "--fetch-timeout=60000", "--prefix", cache] + specs,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=env, timeout=900)
            except subprocess.TimeoutExpired:
                return None, "npm install timed out"
            except OSError as e:
                return None, "npm install: %s" % e
            if p.returncode != 0:
                lines = p.stdout.decode("utf-8", "replace").splitlines()
                errs = [ln for ln in lines if ln.startswith("npm error")]
                tail = " ".join((errs or lines)[:2])[:300]
                return None, "npm install failed (no network?): %s" % tail
            with open(stamp, "w") as f:
                f.write(json.dumps(specs))
        run = os.path.join(cache, "run")
        os.makedirs(run, exist_ok=True)
        for name in os.listdir(SDK_SRC):
            if name.endswith((".cjs", ".mjs")):
                shutil.copyfile(os.path.join(SDK_SRC, name),
                                os.path.join(run, name))
    return cache, None


def run_node(cache, script, d, args=(), key=None, timeout=90, env=None):
    """Run sdk/<script> (copied to <cache>/run, so that both require()
    and import resolve to <cache>/node_modules) against daemon d, from
    a minimal environment (no proxy, no SDK variables of the user) plus
    env.  Returns (exit status, stdout text, stderr text)."""
    extra = {"NODE_PATH": os.path.join(cache, "node_modules"),
             "AICLIENTD_URL": d.url,
             "AICLIENTD_KEY": key or d.api_key}
    extra.update(env or {})
    env = harness.minimal_env(extra)
    path = os.path.join(cache, "run", script)
    p = subprocess.run([shutil.which("node"), path] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, env=env, timeout=timeout,
                       cwd=os.path.join(cache, "run"))
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def node_results(cache, script, d, args=(), key=None, timeout=90,
                 env=None):
    """The JSON object a case script prints on its last line, or raise
    with its output."""
    rc, out, err = run_node(cache, script, d, args, key, timeout, env)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    try:
        res = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise RuntimeError("%s: exit %d, no JSON result\nstdout: %s\n"
                           "stderr: %s" % (script, rc, out[-2000:],
                                           err[-2000:]))
    if rc != 0:
        raise RuntimeError("%s: exit %d\nstderr: %s" % (script, rc,
                                                        err[-2000:]))
    return res
