#!/usr/bin/env python3
"""
test_sdk.py: the official SDKs from npm (@anthropic-ai/sdk, openai,
@google/genai; versions in sdk/package.json) against a daemon wired to
the mock Kiro upstream, through the node scripts of sdk/: answers,
streams, tool round trips, images, token counting, model lists and the
SDKs' error classes; also the guide's OpenAI Node.js example as
written.  The packages are installed once into a cache outside the
source tree (sdktest.sdk_setup); without node, npm or the network the
script skips.
"""

import json
import os
import sys

import harness
import kirotest as K
import mockup
import sdktest as S

M = None	# the shared mock
D = None	# the shared daemon
CACHE = None	# the npm cache holding the SDKs

PNG = S.png_bytes()
JPEG = S.jpeg_bytes()
IMG_ENV = {"SDK_PNG_B64": S.b64(PNG), "SDK_JPEG_B64": S.b64(JPEG)}
WEATHER = {"city": "Berlin", "unit": "celsius"}
HELLO = "Hello from mock Kiro."


def start():
    global M
    M = mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"])
    return K.daemon(M, K.social_cred())


def results(t, script):
    """Run one case script; its {case: result}, or {} after a failure."""
    try:
        return S.node_results(CACHE, script, D, env=IMG_ENV)
    except Exception as e:
        t.ok(False, "%s ran" % script, str(e))
        return {}


EXPECT_ERROR = ("rate_limited", "unknown_model", "bad_key", "stream_cut")


def case(t, res, name):
    """One case's result; a failure (with the error) when the SDK call
    threw where it should not have."""
    r = res.get(name)
    if not isinstance(r, dict):
        t.ok(False, "%s: no result" % name, json.dumps(res))
        return {}
    if name not in EXPECT_ERROR and set(r) == {"error"}:
        t.ok(False, "%s: the SDK call failed" % name, json.dumps(r))
        return {}
    return r


def blocks(msg, kind):
    return [b for b in (msg or {}).get("content", []) if b.get("type") ==
            kind]


def images_sent(marker):
    reqs = S.chats_with(M, marker)
    return S.current(reqs[-1]).get("images") if reqs else None


def check_images(t, prefix, marker):
    imgs = images_sent(marker)
    t.eq(imgs, [{"format": "png", "source": {"bytes": S.b64(PNG)}},
                {"format": "jpeg", "source": {"bytes": S.b64(JPEG)}}],
         "%s: both images reached Kiro with their formats and bytes" %
         prefix)


def check_error(t, r, prefix, status, cls, diag=None):
    e = (r or {}).get("error") or {}
    t.ok("unexpected" not in (r or {}) and e.get("status") == status and
         e.get("name") == cls, "%s: the SDK raises %s (%d)" %
         (prefix, cls, status), json.dumps(r))


# ---------------------------------------------------------------------
# @anthropic-ai/sdk

def test_anthropic_sdk(t):
    res = results(t, "anthropic.cjs")
    if not res:
        return
    m = case(t, res, "create")
    t.ok(m.get("type") == "message" and m.get("role") == "assistant" and
         m.get("stop_reason") == "end_turn" and
         m.get("model") == S.MODEL and m.get("id", "").startswith("msg_"),
         "anthropic messages.create: a Message", json.dumps(m))
    t.eq([b.get("text") for b in blocks(m, "text")], [HELLO],
         "anthropic messages.create: the text")
    u = m.get("usage") or {}
    t.ok(isinstance(u.get("input_tokens"), int) and
         u.get("output_tokens", 0) > 0, "anthropic messages.create: usage",
         u)
    sent = S.chats_with(M, "sdk-anthropic-create")
    t.eq(sent and S.current(sent[-1]).get("content"),
         "sdk-anthropic-system\n\nsdk-anthropic-create",
         "anthropic: system and user text reached Kiro")

    s = case(t, res, "stream_helper")
    ev = s.get("events") or []
    t.ok(ev[:1] == ["message_start"] and ev[-1:] == ["message_stop"] and
         "content_block_delta" in ev and "message_delta" in ev,
         "anthropic messages.stream: the event sequence", ev)
    t.eq(s.get("text"), HELLO, "anthropic messages.stream: text deltas")
    f = s.get("final") or {}
    t.ok([b.get("text") for b in blocks(f, "text")] == [HELLO] and
         f.get("stop_reason") == "end_turn",
         "anthropic messages.stream: finalMessage", json.dumps(f))

    s = case(t, res, "stream_raw")
    t.ok(s.get("text") == HELLO and s.get("stop") == "end_turn" and
         (s.get("events") or [""])[0] == "message_start",
         "anthropic create({stream:true}): events, text, stop reason",
         json.dumps(s))

    r = case(t, res, "tool_round_trip")
    first = r.get("first") or {}
    tu = blocks(first, "tool_use")
    t.ok(first.get("stop_reason") == "tool_use" and len(tu) == 1 and
         tu[0].get("name") == "get_weather" and
         tu[0].get("input") == WEATHER and tu[0].get("id"),
         "anthropic tool use: tool_use block, stop_reason tool_use",
         json.dumps(first))
    second = r.get("second") or {}
    t.eq([b.get("text") for b in blocks(second, "text")],
         ["The weather is fine."], "anthropic tool_result turn answered")
    sent = S.chats_with(M, "sdk-anthropic-tool")
    specs = S.tool_specs(sent[0]) if sent else []
    t.ok(len(specs) == 1 and specs[0].get("name") == "get_weather" and
         specs[0].get("inputSchema", {}).get("json", {}).get(
             "required") == ["city"],
         "anthropic tools reached Kiro's toolSpecification", specs)
    ctx = S.current(sent[-1]).get("userInputMessageContext", {}) \
        if sent else {}
    tr = ctx.get("toolResults") or [{}]
    t.ok(len(sent) == 2 and tu and tr[0].get("toolUseId") == tu[0]["id"] and
         tr[0].get("content") == [{"text": "sunny, 21 C"}],
         "anthropic tool_result reached Kiro's toolResults", ctx)

    s = case(t, res, "tool_stream")
    f = s.get("final") or {}
    tu = blocks(f, "tool_use")
    t.ok(f.get("stop_reason") == "tool_use" and len(tu) == 1 and
         tu[0].get("input") == WEATHER and s.get("partials"),
         "anthropic stream: tool input assembled from input_json_delta",
         json.dumps(s))

    m = case(t, res, "image")
    t.eq([b.get("text") for b in blocks(m, "text")],
         ["2 images: png, jpeg"], "anthropic image blocks: answered")
    check_images(t, "anthropic", "sdk-anthropic-image")

    c = case(t, res, "count_tokens")
    if c.get("unsupported"):
        t.ok(True, "anthropic countTokens: not in this SDK version")
    else:
        t.ok(isinstance(c.get("input_tokens"), int) and
             c["input_tokens"] > 0, "anthropic messages.countTokens",
             json.dumps(c))

    ids = case(t, res, "models").get("ids") or []
    t.ok(S.MODEL in ids and "claude-sonnet-4-20250514" in ids,
         "anthropic models.list pages through the Kiro models", ids)

    r = case(t, res, "rate_limited")
    check_error(t, r, "anthropic upstream 429", 429, "RateLimitError")
    t.eq(((r.get("error") or {}).get("body") or {}).get("error", {}).get(
        "type"), "rate_limit_error", "anthropic 429: rate_limit_error body")
    r = case(t, res, "unknown_model")
    check_error(t, r, "anthropic unknown model", 400, "BadRequestError")
    t.ok(S.MODEL in (r.get("error") or {}).get("message", ""),
         "anthropic unknown model: the message lists the models", r)
    check_error(t, case(t, res, "bad_key"), "anthropic wrong key", 401,
                "AuthenticationError")
    m = case(t, res, "prefixed")
    t.ok([b.get("text") for b in blocks(m, "text")] == [HELLO] and
         S.chats_with(M, "sdk-anthropic-prefixed"),
         "anthropic with the guide's base URL <host>/claude-kiro-oauth",
         json.dumps(m))
    r = case(t, res, "stream_cut")
    t.ok("error" in r and "unexpected" not in r and
         r.get("text", "").startswith("Hello "),
         "anthropic stream cut by the upstream: text, then an error",
         json.dumps(r))


# ---------------------------------------------------------------------
# openai

def test_openai_sdk(t):
    res = results(t, "openai.cjs")
    if not res:
        return
    c = case(t, res, "create")
    ch = (c.get("choices") or [{}])[0]
    t.ok(c.get("object") == "chat.completion" and
         c.get("id", "").startswith("chatcmpl-") and
         c.get("model") == S.MODEL and ch.get("finish_reason") == "stop" and
         ch.get("message", {}).get("role") == "assistant",
         "openai chat.completions.create: a ChatCompletion", json.dumps(c))
    t.eq(S.openai_text(c), HELLO, "openai create: the text")
    u = c.get("usage") or {}
    t.ok(isinstance(u.get("prompt_tokens"), int) and
         u.get("completion_tokens", 0) > 0 and u.get("total_tokens") ==
         u.get("prompt_tokens", 0) + u.get("completion_tokens", 0),
         "openai create: usage", u)
    sent = S.chats_with(M, "sdk-openai-create")
    t.eq(sent and S.current(sent[-1]).get("content"),
         "sdk-openai-system\n\nsdk-openai-create",
         "openai: system and user text reached Kiro")

    chunks = case(t, res, "stream_usage").get("chunks") or []
    t.ok(chunks and all(x.get("object") == "chat.completion.chunk" and
                        x.get("id") == chunks[0].get("id") for x in chunks),
         "openai stream: chat.completion.chunk objects with one id",
         json.dumps(chunks))
    first = (chunks[0].get("choices") or [{}])[0] if chunks else {}
    t.eq(first.get("delta", {}).get("role"), "assistant",
         "openai stream: the first delta carries the role")
    text = "".join((x.get("choices") or [{}])[0].get("delta", {}).get(
        "content") or "" for x in chunks if x.get("choices"))
    t.eq(text, "w1 w2 w3 w4 w5 ", "openai stream: content deltas")
    fins = [x["choices"][0]["finish_reason"] for x in chunks
            if x.get("choices") and x["choices"][0].get("finish_reason")]
    t.eq(fins, ["stop"], "openai stream: one finish_reason stop")
    last = chunks[-1] if chunks else {}
    lu = last.get("usage") or {}
    t.ok(last.get("choices") == [] and isinstance(lu.get("prompt_tokens"),
                                                  int) and
         lu.get("completion_tokens", 0) > 0,
         "openai stream include_usage: a last chunk with usage",
         json.dumps(last))
    t.ok(all("usage" in x and x["usage"] is None for x in chunks[:-1]),
         "openai stream include_usage: usage null in the other chunks",
         json.dumps(chunks))

    chunks = case(t, res, "stream_plain").get("chunks") or []
    text = "".join((x.get("choices") or [{}])[0].get("delta", {}).get(
        "content") or "" for x in chunks if x.get("choices"))
    t.ok(text == HELLO and all(x.get("choices") for x in chunks),
         "openai stream without include_usage: text, no usage-only chunk",
         json.dumps(chunks))

    r = case(t, res, "tool_round_trip")
    f = (r.get("first") or {}).get("choices", [{}])[0]
    calls = f.get("message", {}).get("tool_calls") or []
    try:
        args = json.loads(calls[0]["function"]["arguments"])
    except (IndexError, KeyError, ValueError, TypeError):
        args = None
    t.ok(f.get("finish_reason") == "tool_calls" and len(calls) == 1 and
         calls[0].get("type") == "function" and calls[0].get("id") and
         calls[0]["function"].get("name") == "get_weather" and
         args == WEATHER, "openai tools: tool_calls with JSON arguments",
         json.dumps(r.get("first")))
    t.eq(S.openai_text(r.get("second")), "The weather is fine.",
         "openai tool message answered")
    sent = S.chats_with(M, "sdk-openai-tool")
    specs = S.tool_specs(sent[0]) if sent else []
    t.ok(len(specs) == 1 and specs[0].get("name") == "get_weather" and
         specs[0].get("inputSchema", {}).get("json") ==
         S.OPENAI_TOOLS[0]["function"]["parameters"],
         "openai function parameters reached Kiro's inputSchema", specs)
    ctx = S.current(sent[-1]).get("userInputMessageContext", {}) \
        if sent else {}
    tr = ctx.get("toolResults") or [{}]
    t.ok(len(sent) == 2 and calls and
         tr[0].get("toolUseId") == calls[0]["id"] and
         tr[0].get("content") == [{"text": "sunny, 21 C"}],
         "openai tool_call_id and content reached Kiro's toolResults", ctx)
    h = S.history(sent[-1]) if sent else []
    uses = [x["assistantResponseMessage"].get("toolUses") for x in h
            if "assistantResponseMessage" in x]
    t.ok(calls and uses and uses[-1] and
         uses[-1][0].get("toolUseId") == calls[0]["id"] and
         uses[-1][0].get("input") == WEATHER,
         "openai assistant tool_calls became Kiro toolUses in history", h)

    s = case(t, res, "tool_stream")
    fc = (s.get("final") or {}).get("choices", [{}])[0]
    calls = fc.get("message", {}).get("tool_calls") or []
    try:
        args = json.loads(calls[0]["function"]["arguments"])
    except (IndexError, KeyError, ValueError, TypeError):
        args = None
    t.ok(fc.get("finish_reason") == "tool_calls" and len(calls) == 1 and
         calls[0]["function"].get("name") == "get_weather" and
         args == WEATHER,
         "openai chat.completions.stream assembles the tool call",
         json.dumps(s.get("final")))
    frags = [tc for x in s.get("chunks") or [] for c in x.get("choices", [])
             for tc in (c.get("delta", {}).get("tool_calls") or [])]
    t.ok(len(frags) >= 2 and frags[0].get("id") and
         frags[0].get("function", {}).get("name") == "get_weather" and
         all(f.get("index") == 0 for f in frags) and
         all("id" not in f and "name" not in f.get("function", {})
             for f in frags[1:]),
         "openai stream: tool_call deltas (id and name first, then "
         "argument fragments)", json.dumps(frags))

    t.eq(S.openai_text(case(t, res, "image")), "2 images: png, jpeg",
         "openai image_url data: URLs answered")
    check_images(t, "openai", "sdk-openai-image")

    ids = case(t, res, "models").get("ids") or []
    t.ok(S.MODEL in ids and "claude-sonnet-4-20250514" in ids,
         "openai models.list", ids)

    r = case(t, res, "rate_limited")
    check_error(t, r, "openai upstream 429", 429, "RateLimitError")
    t.eq(((r.get("error") or {}).get("body") or {}).get("type"),
         "rate_limit_error", "openai 429: rate_limit_error body")
    r = case(t, res, "unknown_model")
    check_error(t, r, "openai unknown model", 400, "BadRequestError")
    check_error(t, case(t, res, "bad_key"), "openai wrong key", 401,
                "AuthenticationError")
    t.ok(S.openai_text(case(t, res, "prefixed")) == HELLO and
         S.chats_with(M, "sdk-openai-prefixed"),
         "openai with base URL <host>/claude-kiro-oauth/v1")
    r = case(t, res, "stream_cut")
    t.ok("error" in r and "unexpected" not in r and
         r.get("text", "").startswith("Hello "),
         "openai stream cut by the upstream: text, then an APIError",
         json.dumps(r))


# ---------------------------------------------------------------------
# @google/genai

def test_genai_sdk(t):
    res = results(t, "genai.cjs")
    if not res:
        return
    g = case(t, res, "generate")
    resp = g.get("response") or {}
    cand = (resp.get("candidates") or [{}])[0]
    t.eq(g.get("text"), HELLO, "genai generateContent: the text")
    t.ok(cand.get("finishReason") == "STOP" and
         cand.get("content", {}).get("role") == "model" and
         isinstance(resp.get("usageMetadata", {}).get("promptTokenCount"),
                    int), "genai generateContent: candidate, usageMetadata",
         json.dumps(resp))

    s = case(t, res, "stream")
    t.eq(s.get("text"), "w1 w2 w3 w4 ", "genai generateContentStream: text")
    ch = s.get("chunks") or [{}]
    lc = (ch[-1].get("candidates") or [{}])[0]
    t.ok(len(ch) >= 4 and lc.get("finishReason") == "STOP" and
         ch[-1].get("usageMetadata", {}).get("candidatesTokenCount", 0) > 0,
         "genai stream: several chunks, the last with STOP and usage",
         json.dumps(ch))

    r = case(t, res, "function_round_trip")
    calls = r.get("calls") or []
    t.ok(len(calls) == 1 and calls[0].get("name") == "get_weather" and
         calls[0].get("args") == WEATHER,
         "genai functionCall from the tool call", json.dumps(r.get("first")))
    t.eq(r.get("secondText"), "The weather is fine.",
         "genai functionResponse answered")
    sent = S.chats_with(M, "sdk-genai-tool")
    specs = S.tool_specs(sent[0]) if sent else []
    t.ok(len(specs) == 1 and specs[0].get("name") == "get_weather" and
         specs[0].get("inputSchema", {}).get("json") ==
         S.OPENAI_TOOLS[0]["function"]["parameters"],
         "genai functionDeclarations reached Kiro (schema types "
         "lower-cased)", specs)
    ctx = S.current(sent[-1]).get("userInputMessageContext", {}) \
        if sent else {}
    tr = ctx.get("toolResults") or [{}]
    t.ok(len(sent) == 2 and calls and
         tr[0].get("toolUseId") == calls[0].get("id") and
         "sunny, 21 C" in json.dumps(tr[0].get("content")),
         "genai functionResponse reached Kiro's toolResults", ctx)

    s = case(t, res, "function_stream")
    t.ok([c.get("name") for c in s.get("calls") or []] == ["get_weather"] and
         s["calls"][0].get("args") == WEATHER and
         "STOP" in (s.get("finish") or []),
         "genai stream: one whole functionCall, finishReason STOP",
         json.dumps(s))

    t.eq(case(t, res, "image").get("text"), "2 images: png, jpeg",
         "genai inlineData images answered")
    check_images(t, "genai", "sdk-genai-image")

    case(t, res, "system_instruction")
    sent = S.chats_with(M, "sdk-genai-sysi-user")
    t.eq(sent and S.current(sent[-1]).get("content"),
         "sdk-genai-system\n\nsdk-genai-sysi-user",
         "genai systemInstruction reached Kiro")

    c = case(t, res, "chat")
    t.eq((c.get("a"), c.get("b")), (HELLO, HELLO),
         "genai chats.sendMessage twice")
    sent = S.chats_with(M, "sdk-genai-chat-q2")
    h = S.history(sent[-1]) if sent else []
    t.eq([list(x.values())[0].get("content") for x in h],
         ["sdk-genai-chat-h1", "earlier answer", "sdk-genai-chat-q1", HELLO],
         "genai chat: the history and the first exchange reached Kiro")

    names = case(t, res, "models_list").get("names") or []
    t.ok("models/" + S.MODEL in names and
         "models/claude-sonnet-4-20250514" in names,
         "genai models.list", names)
    g = case(t, res, "models_get")
    t.ok(g.get("name") == "models/" + S.MODEL and
         isinstance(g.get("inputTokenLimit"), int) and
         "generateContent" in (g.get("supportedActions") or []),
         "genai models.get", json.dumps(g))

    t.ok(case(t, res, "prefixed").get("text") == HELLO and
         S.chats_with(M, "sdk-genai-prefixed"),
         "genai with base URL <host>/claude-kiro-oauth")
    r = case(t, res, "rate_limited")
    check_error(t, r, "genai upstream 429", 429, "ApiError")
    t.ok("RESOURCE_EXHAUSTED" in (r.get("error") or {}).get("message", ""),
         "genai 429: RESOURCE_EXHAUSTED", r)
    check_error(t, case(t, res, "unknown_model"), "genai unknown model", 400,
                "ApiError")


# ---------------------------------------------------------------------
# the guide's example

def test_guide_node_example(t):
    M.reset()
    rc, out, err = S.run_node(CACHE, "guide-openai.mjs", D)
    t.eq((rc, out), (0, HELLO + "\n"),
         "the guide's OpenAI Node.js example prints the answer", err)
    sent = S.chat_requests(M)
    cur = S.current(sent[-1]) if sent else {}
    t.ok(len(sent) == 1 and cur.get("content") == "Hello!" and
         cur.get("modelId") == "CLAUDE_SONNET_4_20250514_V1_0",
         "its request reached Kiro with the guide's model", cur)


if __name__ == "__main__":
    if not mockup.available():
        print("1..0 # SKIP mockup not built (%s)" % mockup.MOCKUP)
        sys.exit(0)
    if not os.path.exists(harness.AICLIENTD):
        print("1..0 # SKIP aiclientd not found (%s)" % harness.AICLIENTD)
        sys.exit(0)
    CACHE, why = S.sdk_setup(log=lambda m: print("# " + m, flush=True))
    if CACHE is None:
        print("1..0 # SKIP %s" % why)
        sys.exit(0)

    def _start():
        global D
        D = start()
        return D

    harness.main([test_anthropic_sdk, test_openai_sdk, test_genai_sdk,
                  test_guide_node_example], start=_start)
