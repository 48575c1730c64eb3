#!/usr/bin/env python3
"""
test_guide.py: the user guide (kiro-claude-guide.zh.md) as written,
against a daemon wired to the mock Kiro upstream.  Every curl example
(quick start, 实战案例 cases 1-6, Q10) runs through the real curl and
bash with only the host and the key changed; the answers are checked
in the endpoint's dialect and the requests the mock received are
checked against the guide's bodies.  The guide's minimal config.json,
its default credential location and its Docker-style environment
variables start working daemons.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import harness
import kirotest as K
import mockup
import sdktest as S

M = None	# the shared mock
D = None	# the shared daemon
WORK = None	# a scratch directory for the scripts and files
HELLO = "Hello from mock Kiro."
GUIDE_MODEL_ID = "CLAUDE_SONNET_4_20250514_V1_0"

# ---------------------------------------------------------------------
# the guide's commands, verbatim

QUICK_START = r"""curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'
"""

CASE1 = r"""curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [
      {"role": "user", "content": "用中文介绍一下你自己"}
    ]
  }'
"""

CASE2 = r"""curl -N http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [
      {"role": "user", "content": "写一首关于春天的诗"}
    ],
    "stream": true
  }'
"""

CASE3 = r"""curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [
      {"role": "user", "content": "我叫张三"},
      {"role": "assistant", "content": "你好，张三！很高兴认识你。"},
      {"role": "user", "content": "我叫什么名字？"}
    ]
  }'
"""

CASE4_TOOLS = """[
      {
        "name": "get_weather",
        "description": "获取指定城市的天气信息",
        "input_schema": {
          "type": "object",
          "properties": {
            "city": {
              "type": "string",
              "description": "城市名称"
            },
            "unit": {
              "type": "string",
              "enum": ["celsius", "fahrenheit"],
              "description": "温度单位"
            }
          },
          "required": ["city"]
        }
      }
    ]"""

CASE4 = r"""curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [
      {"role": "user", "content": "北京今天天气怎么样？"}
    ],
    "tools": """ + CASE4_TOOLS + r"""
  }'
"""

# the follow-up; "[...]" stands for the tool list above (decision 20)
CASE4_RESULT = r"""curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d '{
    "model": "claude-sonnet-4-20250514",
    "messages": [
      {"role": "user", "content": "北京今天天气怎么样？"},
      {
        "role": "assistant",
        "content": [
          {
            "type": "tool_use",
            "id": "toolu_01xyz",
            "name": "get_weather",
            "input": {"city": "北京", "unit": "celsius"}
          }
        ]
      },
      {
        "role": "user",
        "content": [
          {
            "type": "tool_result",
            "tool_use_id": "toolu_01xyz",
            "content": "北京今天晴天，温度25°C，湿度60%"
          }
        ]
      }
    ],
    "tools": [...]
  }'
"""

CASE5 = r"""# 先将图片转为 Base64
IMAGE_BASE64=$(base64 -i image.jpg)

curl http://localhost:3000/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -d "{
    \"model\": \"claude-sonnet-4-20250514\",
    \"messages\": [
      {
        \"role\": \"user\",
        \"content\": [
          {
            \"type\": \"text\",
            \"text\": \"这张图片里有什么？\"
          },
          {
            \"type\": \"image\",
            \"source\": {
              \"type\": \"base64\",
              \"media_type\": \"image/jpeg\",
              \"data\": \"$IMAGE_BASE64\"
            }
          }
        ]
      }
    ]
  }"
"""

CASE6 = r"""# 先将 PDF 转为 Base64
PDF_BASE64=$(base64 -i document.pdf)

curl http://localhost:3000/v1/messages \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer 123456" \
  -H "anthropic-version: 2023-06-01" \
  -d "{
    \"model\": \"claude-sonnet-4-20250514\",
    \"messages\": [
      {
        \"role\": \"user\",
        \"content\": [
          {
            \"type\": \"document\",
            \"source\": {
              \"type\": \"base64\",
              \"media_type\": \"application/pdf\",
              \"data\": \"$PDF_BASE64\"
            }
          },
          {
            \"type\": \"text\",
            \"text\": \"请总结这份 PDF 文档的主要内容\"
          }
        ]
      }
    ]
  }"
"""

Q10 = r"""# 健康检查
curl http://localhost:3000/health

# 模型列表
curl http://localhost:3000/v1/models \
  -H "Authorization: Bearer 123456"
"""

MINIMAL_CONFIG = """{
  "REQUIRED_API_KEY": "your-secret-key-here",
  "SERVER_PORT": 3000,
  "HOST": "localhost",
  "MODEL_PROVIDER": "claude-kiro-oauth"
}
"""

FULL_CONFIG = """{
  "REQUIRED_API_KEY": "your-secret-key-here",
  "SERVER_PORT": 3000,
  "HOST": "0.0.0.0",
  "MODEL_PROVIDER": "claude-kiro-oauth",
  
  "KIRO_OAUTH_CREDS_FILE_PATH": "/Users/username/.aws/sso/cache/kiro-auth-token.json",
  "KIRO_OAUTH_CREDS_DIR_PATH": null,
  "KIRO_OAUTH_CREDS_BASE64": null,
  
  "REQUEST_MAX_RETRIES": 3,
  "REQUEST_BASE_DELAY": 1000,
  "CRON_NEAR_MINUTES": 15,
  "CRON_REFRESH_TOKEN": true,
  
  "SYSTEM_PROMPT_FILE_PATH": "input_system_prompt.txt",
  "SYSTEM_PROMPT_MODE": "overwrite",
  "PROMPT_LOG_MODE": "none",
  
  "PROVIDER_POOLS_FILE_PATH": null
}
"""

# 故障排除, 问题 2: the pools file as the guide writes it
GUIDE_POOLS = """{
  "claude-kiro-oauth": {
    "accounts": [
      {"KIRO_OAUTH_CREDS_FILE_PATH": "/path/to/account1.json"},
      {"KIRO_OAUTH_CREDS_FILE_PATH": "/path/to/account2.json"}
    ]
  }
}
"""

# ---------------------------------------------------------------------
# running a snippet


class Curl:
    def __init__(self, status, headers, body, stderr):
        self.status = status
        self.headers = headers
        self.body = body
        self.stderr = stderr

    def json(self):
        return harness.jbody(self.body)

    def __repr__(self):
        return "<curl %s %r %r %s>" % (self.status, self.headers,
                                       self.body[:1500], self.stderr)


def _headers(path):
    """Status and headers of the last response in a curl -D dump."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
    except OSError:
        return None, {}
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if
              b.startswith("HTTP/")]
    if not blocks:
        return None, {}
    lines = blocks[-1].splitlines()
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs


def run_snippet(snippet, d, key=None, host="http://localhost:3000"):
    """
    Run the guide's shell text with bash in WORK, after pointing its
    URLs at d and its key at d's key.  Each curl line only gains -sS,
    --max-time and -D (to read the status); what it sends is the
    guide's.  Returns a list of Curl results, one per curl command.
    """
    text = snippet.replace(host, d.url)
    text = text.replace("Bearer 123456", "Bearer " + (key or d.api_key))
    n = [0]

    def add_opts(m):
        n[0] += 1
        return "curl -sS --max-time 30 -D hdr%d.txt " % n[0]
    text = re.sub(r"^curl ", add_opts, text, flags=re.M)
    script = os.path.join(WORK, "snippet.sh")
    with open(script, "w") as f:
        f.write("set -e\n" + text + "\nprintf '\\n@@END@@\\n'\n")
    for i in range(1, n[0] + 1):
        try:
            os.unlink(os.path.join(WORK, "hdr%d.txt" % i))
        except OSError:
            pass
    p = subprocess.run(["bash", script], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=WORK, timeout=60,
                       env=harness.minimal_env())
    out = p.stdout
    if n[0] == 1:
        bodies = [out.rsplit(b"\n@@END@@\n", 1)[0]]
    else:
        bodies = [out]		# several commands: one stream of output
    res = []
    for i in range(1, n[0] + 1):
        st, h = _headers(os.path.join(WORK, "hdr%d.txt" % i))
        res.append(Curl(st, h, bodies[0] if len(bodies) == 1 else b"",
                        p.stderr.decode("utf-8", "replace")))
    return res


def curl1(snippet, d=None, key=None):
    """The result of a snippet with one curl command."""
    return run_snippet(snippet, d or D, key)[0]


def is_openai_completion(j):
    try:
        ch = j["choices"][0]
        return j["object"] == "chat.completion" and \
            j["id"].startswith("chatcmpl-") and \
            ch["message"]["role"] == "assistant" and \
            isinstance(j["usage"]["prompt_tokens"], int)
    except (KeyError, IndexError, TypeError, AttributeError):
        return False


def start():
    global M
    M = mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"])
    return K.daemon(M, K.social_cred())


# ---------------------------------------------------------------------
# the curl examples

def test_quick_start(t):
    M.reset()
    r = curl1(QUICK_START)
    j = r.json()
    t.ok(r.status == 200 and is_openai_completion(j) and
         S.openai_text(j) == HELLO,
         "quick start curl: 200 with an OpenAI chat.completion", r)
    cur = S.current(S.last_chat(M))
    t.eq((cur.get("content"), cur.get("modelId")),
         ("Hello!", GUIDE_MODEL_ID), "quick start: text and model id sent")


def test_case1_basic(t):
    M.reset()
    r = curl1(CASE1)
    j = r.json()
    t.eq(r.status, 200, "case 1: 200", r)
    t.ok("application/json" in r.headers.get("content-type", ""),
         "case 1: JSON", r.headers)
    t.ok(is_openai_completion(j) and S.openai_text(j) == HELLO and
         j["choices"][0]["finish_reason"] == "stop" and
         j["model"] == "claude-sonnet-4-20250514",
         "case 1: the OpenAI shape (the guide's Claude sample is "
         "illustrative)", r)
    sent = S.chat_requests(M)
    cur = S.current(sent[-1]) if sent else {}
    t.ok(len(sent) == 1 and cur.get("content") == "用中文介绍一下你自己" and
         cur.get("modelId") == GUIDE_MODEL_ID and
         not S.history(sent[-1]),
         "case 1: the Chinese text reached Kiro as the current message",
         sent)


def test_case2_stream(t):
    M.reset()
    r = curl1(CASE2)
    t.eq(r.status, 200, "case 2: 200", r)
    t.ok("text/event-stream" in r.headers.get("content-type", ""),
         "case 2: an event stream", r.headers)
    data = S.sse_data(r.body)
    chunks = data[:-1]
    t.eq(data[-1:], ["[DONE]"], "case 2: ends with data: [DONE]", r.body)
    t.ok(chunks and all(isinstance(c, dict) and
                        c.get("object") == "chat.completion.chunk"
                        for c in chunks),
         "case 2: chat.completion.chunk events", r.body)
    text = "".join(c["choices"][0]["delta"].get("content") or ""
                   for c in chunks if isinstance(c, dict) and
                   c.get("choices"))
    t.eq(text, HELLO, "case 2: the text arrives in deltas")
    t.ok(b"message_start" not in r.body,
         "case 2: no Claude events on the OpenAI endpoint")
    cur = S.current(S.last_chat(M))
    t.eq(cur.get("content"), "写一首关于春天的诗", "case 2: text sent")


def test_case3_multi_turn(t):
    M.reset()
    r = curl1(CASE3)
    t.ok(r.status == 200 and is_openai_completion(r.json()),
         "case 3: 200 OpenAI chat.completion", r)
    body = S.last_chat(M)
    h = S.history(body)
    t.eq([(list(x)[0], list(x.values())[0].get("content")) for x in h],
         [("userInputMessage", "我叫张三"),
          ("assistantResponseMessage", "你好，张三！很高兴认识你。")],
         "case 3: the earlier turns became Kiro history")
    t.eq(S.current(body).get("content"), "我叫什么名字？",
         "case 3: the last question is the current message")


def test_case4_tools(t):
    M.reset()
    r = curl1(CASE4)
    j = r.json()
    t.ok(r.status == 200 and is_openai_completion(j) and
         S.openai_text(j) == HELLO,
         "case 4: 200 OpenAI chat.completion (Claude-style tools "
         "accepted on /v1/chat/completions)", r)
    want_schema = json.loads(CASE4_TOOLS)[0]["input_schema"]
    specs = S.tool_specs(S.last_chat(M))
    t.eq(specs, [{"name": "get_weather",
                  "description": "获取指定城市的天气信息",
                  "inputSchema": {"json": want_schema}}],
         "case 4: the tool reached Kiro's toolSpecification with the "
         "input_schema")

    M.reset()
    follow = CASE4_RESULT.replace('"tools": [...]',
                                  '"tools": ' + CASE4_TOOLS)
    t.ok(follow != CASE4_RESULT, "case 4 follow-up: [...] is the tool list")
    r = curl1(follow)
    j = r.json()
    t.ok(r.status == 200 and is_openai_completion(j),
         "case 4 follow-up: 200 OpenAI chat.completion", r)
    body = S.last_chat(M)
    h = S.history(body)
    uses = [x["assistantResponseMessage"].get("toolUses") for x in h
            if "assistantResponseMessage" in x]
    t.eq(uses[-1:], [[{"input": {"city": "北京", "unit": "celsius"},
                       "name": "get_weather", "toolUseId": "toolu_01xyz"}]],
         "case 4 follow-up: the tool_use block became Kiro toolUses")
    ctx = S.current(body).get("userInputMessageContext", {})
    t.eq(ctx.get("toolResults"),
         [{"content": [{"text": "北京今天晴天，温度25°C，湿度60%"}],
           "status": "success", "toolUseId": "toolu_01xyz"}],
         "case 4 follow-up: the tool_result became Kiro toolResults")
    t.eq([s.get("name") for s in S.tool_specs(body)], ["get_weather"],
         "case 4 follow-up: the tools are sent again")


def test_case5_image(t):
    jpeg = S.jpeg_bytes()
    with open(os.path.join(WORK, "image.jpg"), "wb") as f:
        f.write(jpeg)
    wrapped = subprocess.run(["base64", "-i", "image.jpg"], cwd=WORK,
                             stdout=subprocess.PIPE).stdout
    t.ok(wrapped.count(b"\n") >= 2,
         "case 5: base64 -i wraps the image's base64 over lines")
    M.reset()
    r = curl1(CASE5)
    j = r.json()
    t.ok(r.status == 200 and is_openai_completion(j) and
         S.openai_text(j) == HELLO,
         "case 5: 200 OpenAI chat.completion (raw line breaks in the JSON "
         "string accepted)", r)
    cur = S.current(S.last_chat(M))
    t.eq(cur.get("images"), [{"format": "jpeg",
                              "source": {"bytes": S.b64(jpeg)}}],
         "case 5: the image reached Kiro, jpeg, its base64 unwrapped")
    t.eq(cur.get("content"), "这张图片里有什么？", "case 5: the question sent")


def test_case6_pdf(t):
    pdf = S.pdf_bytes()
    with open(os.path.join(WORK, "document.pdf"), "wb") as f:
        f.write(pdf)
    M.reset()
    r = curl1(CASE6)
    j = r.json() or {}
    t.eq(r.status, 200, "case 6: 200 on /v1/messages without max_tokens", r)
    t.ok(j.get("type") == "message" and j.get("role") == "assistant" and
         j.get("content") == [{"type": "text", "text": HELLO}] and
         j.get("stop_reason") == "end_turn",
         "case 6: the Claude shape", r)
    content = S.current(S.last_chat(M)).get("content") or ""
    note = "[document omitted: application/pdf is not supported by this " \
        "backend]"
    t.ok(note in content and "请总结这份 PDF 文档的主要内容" in content and
         content.index(note) < content.index("请总结"),
         "case 6: the PDF became the document note (kiro.md 4.8), before "
         "the question", content)


def test_q10(t):
    res = run_snippet(Q10, D)
    t.eq([r.status for r in res], [200, 200], "Q10: both curls answer 200",
         res)
    out = res[0].body.decode("utf-8", "replace")
    objs = []
    dec = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(out) and out[pos] in " \r\n":
            pos += 1
        if pos >= len(out) or out.startswith("@@END@@", pos):
            break
        try:
            o, pos = dec.raw_decode(out, pos)
        except ValueError:
            break
        objs.append(o)
    t.ok(len(objs) == 2 and objs[0].get("status") == "healthy" and
         objs[0].get("provider") == "claude-kiro-oauth",
         "Q10: /health is healthy with the provider", out[:2000])
    ids = [m.get("id") for m in (objs[1].get("data") or [])] \
        if len(objs) == 2 else []
    t.ok("claude-sonnet-4-20250514" in ids and
         "claude-3-7-sonnet-20250219" in ids and
         "amazonq-claude-sonnet-4-20250514" in ids,
         "Q10: /v1/models lists the guide's models (Q3)", ids)


# ---------------------------------------------------------------------
# configuration as the guide shows it

def plumbing_env(d):
    """What a test daemon needs besides the guide's file: its own port,
    control socket, pid file and state directory (environment beats the
    file, decision 3), and the mock's URLs."""
    env = {"SERVER_PORT": d.port, "CONTROL_SOCKET": d.ctl_path,
           "PID_FILE": d.pid_path, "STATE_DIR": d.state_dir,
           "WORKERS": 2}
    env.update(M.kiro_config())
    return env


def json_daemon(text, env=None):
    d = harness.Daemon(config_name="config.json", start=False)
    d.write_config(text=text)
    d._auto_port = False	# a retry would rewrite the file as YAML
    d.extra_env = dict(plumbing_env(d), **(env or {}))
    return d


def check_serves(t, d, key, what):
    M.reset()
    r = run_snippet(CASE1, d, key=key)[0]
    t.ok(r.status == 200 and S.openai_text(r.json()) == HELLO,
         "%s: the daemon serves case 1" % what, r)
    reqs = [x for x in M.requests() if x["path"].endswith(S.CHAT_PATH)]
    t.ok(reqs and reqs[-1]["headers"].get("authorization") ==
         "Bearer tok-1", "%s: with the test credential's token" % what,
         reqs[-1:])


def test_minimal_config_file_path(t):
    cfg = json.loads(MINIMAL_CONFIG)
    d = json_daemon("{}")
    cred = os.path.join(d.dir, "kiro-auth-token.json")
    K.write_json(cred, K.social_cred())
    cfg["KIRO_OAUTH_CREDS_FILE_PATH"] = cred
    cfg.update(M.kiro_config())
    d.write_config(text=json.dumps(cfg, indent=2))
    d.extra_env = plumbing_env(d)
    for k in M.kiro_config():
        del d.extra_env[k]
    with d:
        rc, out, err = harness.run([harness.AICLIENTD, "-f", d.cfg_path,
                                    "-t"], env=harness.minimal_env(
                                        {"HOME": d.dir}))
        t.eq(rc, 0, "the guide's config.json (+ credential path, mock "
             "URLs) passes -t", out + err)
        d.start()
        check_serves(t, d, "your-secret-key-here",
                     "minimal config.json with KIRO_OAUTH_CREDS_FILE_PATH")
        st, _, _ = harness.request(d, "POST", "/v1/chat/completions",
                                   harness.auth_headers("123456"),
                                   json.dumps(S.openai_req("hi")))
        t.eq(st, 401, "the configured key is required (not 123456)")


def test_minimal_config_default_location(t):
    d = json_daemon(MINIMAL_CONFIG)
    cache = os.path.join(d.dir, ".aws", "sso", "cache")
    os.makedirs(cache)
    K.write_json(os.path.join(cache, "kiro-auth-token.json"),
                 K.social_cred())
    with d:
        d.start()
        check_serves(t, d, "your-secret-key-here",
                     "the guide's minimal config.json verbatim, credential "
                     "in ~/.aws/sso/cache")


def test_full_config(t):
    d = json_daemon("{}")
    cred = os.path.join(d.dir, "kiro-auth-token.json")
    K.write_json(cred, K.social_cred())
    d.write_config(text=FULL_CONFIG.replace(
        "/Users/username/.aws/sso/cache/kiro-auth-token.json", cred))
    with open(os.path.join(d.dir, "input_system_prompt.txt"), "w") as f:
        f.write("GUIDE SYSTEM PROMPT")
    d.extra_env["HOST"] = "127.0.0.1"	# the guide's 0.0.0.0, on loopback
    with d:
        d.start()
        check_serves(t, d, "your-secret-key-here", "the guide's full "
                     "config.json (credential path and HOST changed)")
        t.eq(S.current(S.last_chat(M)).get("content"),
             "GUIDE SYSTEM PROMPT\n\n用中文介绍一下你自己",
             "full config: input_system_prompt.txt next to it is injected")


def test_guide_pools_file(t):
    with mockup.Mock(tokens=["tok-a", "tok-b"]) as m:
        d = K.daemon(m, None, start=False)
        text = GUIDE_POOLS
        for n in ("1", "2"):
            path = os.path.join(d.dir, "account%s.json" % n)
            K.write_json(path, K.social_cred(access="tok-" + "xab"[int(n)],
                                             refresh="r" + n))
            text = text.replace("/path/to/account%s.json" % n, path)
        with open(os.path.join(d.dir, "provider_pools.json"), "w") as f:
            f.write(text)
        d.write_config({"PROVIDER_POOLS_FILE_PATH": "provider_pools.json"})
        with d.start():
            sts = [run_snippet(CASE1, d)[0].status for _ in range(4)]
            t.eq(sts, [200] * 4, "the guide's provider_pools.json (问题 2): "
                 "case 1 answers", d.log()[-2000:])
            toks = {r["headers"].get("authorization") for r in m.requests()
                    if r["path"].endswith(S.CHAT_PATH)}
            t.eq(toks, {"Bearer tok-a", "Bearer tok-b"},
                 "both accounts of the guide's pool serve")


def test_docker_env(t):
    d = json_daemon("{}")
    cred = os.path.join(d.dir, "kiro-auth-token.json")
    K.write_json(cred, K.social_cred())
    # the guide: KIRO_CREDS_BASE64=$(cat ~/.aws/sso/cache/... | base64)
    p = subprocess.run(["bash", "-c", 'KIRO_CREDS_BASE64=$(cat "$1" | '
                        'base64); printf %s "$KIRO_CREDS_BASE64"', "-",
                        cred], stdout=subprocess.PIPE,
                       env=harness.minimal_env())
    b64 = p.stdout.decode()
    t.ok("\n" in b64, "docker: the credential's base64 is wrapped over "
         "lines, as the guide's command makes it")
    d.extra_env.update({"MODEL_PROVIDER": "claude-kiro-oauth",
                        "KIRO_OAUTH_CREDS_BASE64": b64,
                        "REQUIRED_API_KEY": "your-secret-key"})
    os.unlink(cred)
    with d:
        d.start()
        check_serves(t, d, "your-secret-key", "docker-style environment "
                     "(MODEL_PROVIDER, KIRO_OAUTH_CREDS_BASE64, "
                     "REQUIRED_API_KEY)")


if __name__ == "__main__":
    if not mockup.available():
        print("1..0 # SKIP mockup not built (%s)" % mockup.MOCKUP)
        sys.exit(0)
    for tool in ("curl", "bash", "base64"):
        if shutil.which(tool) is None:
            print("1..0 # SKIP %s not found" % tool)
            sys.exit(0)
    WORK = tempfile.mkdtemp(prefix="aiclientd-guide-")

    def _start():
        global D
        D = start()
        return D

    try:
        harness.main([test_quick_start, test_case1_basic, test_case2_stream,
                      test_case3_multi_turn, test_case4_tools,
                      test_case5_image, test_case6_pdf, test_q10,
                      test_minimal_config_file_path,
                      test_minimal_config_default_location, test_full_config,
                      test_guide_pools_file, test_docker_env],
                     start=_start)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
