#!/usr/bin/env python3
"""
test_dialects.py: the OpenAI Chat Completions and Gemini dialects
against the Kiro provider, checked on the wire: answer shapes, stream
framing (OpenAI chunks, tool_call deltas, usage chunk, [DONE]; Gemini
SSE and JSON-array streams), function calls, the Gemini model routes,
errors in each dialect's shape (bad JSON, unknown model, upstream 429,
a stream the upstream cuts), and Anthropic-shaped requests sent to
/v1/chat/completions (DESIGN decision 6).
"""

import json
import sys

import harness
import kirotest as K
import mockup
import sdktest as S

M = None	# the shared mock
D = None	# the shared daemon
HELLO = "Hello from mock Kiro."
WEATHER = {"city": "Berlin", "unit": "celsius"}
TOOL_TEXT = "I'll look up the weather in Berlin."


def start():
    global M
    M = mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"])
    return K.daemon(M, K.social_cred())


def chunk_choice(c):
    return (c.get("choices") or [{}])[0]


def openai_chunks(body):
    """(chunks, the payloads after them) of an OpenAI stream body."""
    data = S.sse_data(body)
    chunks = [d for d in data if isinstance(d, dict) and "object" in d]
    return chunks, data


# ---------------------------------------------------------------------
# OpenAI

def test_openai_non_stream(t):
    st, h, body = S.openai(D, S.openai_req("hi", max_tokens=50,
                                           temperature=0.3))
    j = harness.jbody(body) or {}
    t.eq(st, 200, "openai: 200", body)
    t.ok(h.get("content-type", "").startswith("application/json"),
         "openai: application/json", h)
    t.eq(sorted(j), ["choices", "created", "id", "model", "object",
                     "usage"], "openai: the members of a chat.completion")
    t.ok(j.get("object") == "chat.completion" and
         j.get("id", "").startswith("chatcmpl-") and
         isinstance(j.get("created"), int) and j.get("model") == S.MODEL,
         "openai: object, id, created, model", body)
    t.eq(j.get("choices"), [{"index": 0, "message": {
        "role": "assistant", "content": HELLO}, "logprobs": None,
        "finish_reason": "stop"}], "openai: one choice with the text")
    u = j.get("usage") or {}
    t.ok(u.get("prompt_tokens", 0) > 0 and u.get("completion_tokens", 0) > 0
         and u.get("total_tokens") == u["prompt_tokens"] +
         u["completion_tokens"], "openai: usage adds up", u)


def check_openai_stream_invariants(t, what, chunks, data):
    t.ok(chunks and len({(c.get("id"), c.get("created"), c.get("model"))
                         for c in chunks}) == 1 and
         all(c["object"] == "chat.completion.chunk" for c in chunks),
         "%s: every chunk has the same id, created, model" % what, data)
    t.eq(chunk_choice(chunks[0]).get("delta") if chunks else None,
         {"role": "assistant", "content": ""},
         "%s: the first chunk carries the role" % what)
    t.ok(all("role" not in chunk_choice(c).get("delta", {})
             for c in chunks[1:]), "%s: no role after the first chunk" %
         what)
    fins = [c for c in chunks if chunk_choice(c).get("finish_reason")]
    t.ok(len(fins) == 1 and chunk_choice(fins[0]).get("delta") == {},
         "%s: exactly one finish chunk, with an empty delta" % what, fins)
    t.eq(data[-1:], ["[DONE]"], "%s: ends with [DONE]" % what)
    return fins


def test_openai_stream_text(t):
    st, h, body = S.openai(D, S.openai_req("MOCK:events:3", stream=True))
    t.eq(st, 200, "openai stream: 200", body)
    t.ok(h.get("content-type", "").startswith("text/event-stream") and
         h.get("cache-control") == "no-cache",
         "openai stream: event-stream, no-cache", h)
    t.ok(b"event:" not in body, "openai stream: data lines only")
    chunks, data = openai_chunks(body)
    fins = check_openai_stream_invariants(t, "openai stream", chunks, data)
    text = [chunk_choice(c)["delta"].get("content") for c in chunks[1:]
            if chunk_choice(c).get("delta", {}).get("content")]
    t.eq(text, ["w1 ", "w2 ", "w3 "], "openai stream: one delta per "
         "upstream text event")
    t.eq(fins and chunk_choice(fins[0]).get("finish_reason"), "stop",
         "openai stream: finish_reason stop")
    t.ok(all(c.get("choices") for c in chunks),
         "openai stream: no usage-only chunk without include_usage", data)
    t.ok(all(c.get("usage") is None or c is fins[0] for c in chunks),
         "openai stream: usage at most on the finish chunk", data)


def test_openai_stream_usage(t):
    st, _, body = S.openai(D, S.openai_req(
        "hi", stream=True, stream_options={"include_usage": True}))
    chunks, data = openai_chunks(body)
    t.eq(st, 200, "include_usage: 200", body)
    last = chunks[-1] if chunks else {}
    t.ok(last.get("choices") == [] and
         last.get("usage", {}).get("total_tokens", 0) > 0,
         "include_usage: a last chunk with choices [] and usage", data)
    t.ok(chunk_choice(chunks[-2]).get("finish_reason") == "stop" if
         len(chunks) > 1 else False,
         "include_usage: the usage chunk follows the finish chunk")
    t.ok(all("usage" in c and c["usage"] is None for c in chunks[:-1]),
         "include_usage: usage null in every other chunk", data)
    t.eq(data[-1:], ["[DONE]"], "include_usage: then [DONE]")


def test_openai_stream_tool_call(t):
    st, _, body = S.openai(D, S.openai_req("MOCK:tool", stream=True,
                                           tools=S.OPENAI_TOOLS))
    chunks, data = openai_chunks(body)
    t.eq(st, 200, "tool stream: 200", body)
    fins = check_openai_stream_invariants(t, "tool stream", chunks, data)
    text = "".join(chunk_choice(c).get("delta", {}).get("content") or ""
                   for c in chunks)
    t.eq(text, TOOL_TEXT, "tool stream: the text before the call")
    frags = [tc for c in chunks for tc in
             chunk_choice(c).get("delta", {}).get("tool_calls") or []]
    first = frags[0] if frags else {}
    t.ok(first.get("index") == 0 and
         first.get("id", "").startswith("tooluse_mock_") and
         first.get("type") == "function" and
         first.get("function") == {"name": "get_weather", "arguments": ""},
         "tool stream: the first fragment has index, id, type, name and "
         "empty arguments", frags)
    t.ok(len(frags) == 4 and all(set(f) == {"index", "function"} and
                                 f["index"] == 0 and
                                 set(f["function"]) == {"arguments"}
                                 for f in frags[1:]),
         "tool stream: then argument fragments with index only", frags)
    args = "".join(f["function"]["arguments"] for f in frags)
    t.eq(harness.jbody(args), WEATHER, "tool stream: the fragments join "
         "to the arguments")
    t.eq(fins and chunk_choice(fins[0]).get("finish_reason"), "tool_calls",
         "tool stream: finish_reason tool_calls")


def test_openai_non_stream_tool_call(t):
    st, _, body = S.openai(D, S.openai_req("MOCK:tool",
                                           tools=S.OPENAI_TOOLS))
    j = harness.jbody(body) or {}
    ch = chunk_choice(j)
    calls = ch.get("message", {}).get("tool_calls") or []
    t.ok(st == 200 and ch.get("finish_reason") == "tool_calls" and
         ch["message"].get("content") == TOOL_TEXT and len(calls) == 1 and
         calls[0].get("type") == "function" and
         calls[0]["function"]["name"] == "get_weather" and
         isinstance(calls[0]["function"]["arguments"], str) and
         harness.jbody(calls[0]["function"]["arguments"]) == WEATHER,
         "openai tool call: tool_calls with string arguments", body)
    msgs = [{"role": "user", "content": "MOCK:tool"}, ch.get("message"),
            {"role": "tool", "tool_call_id": calls[0]["id"] if calls
             else "x", "content": "sunny"}]
    st, _, body = S.openai(D, {"model": S.MODEL, "messages": msgs,
                               "tools": S.OPENAI_TOOLS})
    t.eq((st, S.openai_text(harness.jbody(body))),
         (200, "The weather is fine."), "openai tool result answered")


def test_openai_true_streaming(t):
    s, buf, pieces = K.stream_raw(D, S.openai_req("MOCK:slow:400:3",
                                                  stream=True),
                                  path="/v1/chat/completions")
    s.close()
    first = next((tm for tm, c in pieces if b"chunk 1" in c), None)
    total = pieces[-1][0] if pieces else 0
    t.ok(first is not None and first < 0.35 and total >= 0.75,
         "openai stream: the first delta arrives before the upstream ends "
         "(%.2fs of %.2fs)" % (first or -1, total))


# ---------------------------------------------------------------------
# Gemini

def test_gemini_generate(t):
    st, h, body = S.gemini(D, S.gemini_req("hi", generationConfig={
        "temperature": 0.2, "maxOutputTokens": 100}))
    j = harness.jbody(body) or {}
    t.eq(st, 200, "gemini generateContent: 200", body)
    t.ok(h.get("content-type", "").startswith("application/json"),
         "gemini: application/json", h)
    t.eq(j.get("candidates"), [{"content": {"role": "model", "parts": [
        {"text": HELLO}]}, "finishReason": "STOP", "index": 0}],
        "gemini: one candidate with the text and STOP")
    u = j.get("usageMetadata") or {}
    t.ok(u.get("promptTokenCount", 0) > 0 and
         u.get("candidatesTokenCount", 0) > 0 and u.get("totalTokenCount")
         == u["promptTokenCount"] + u["candidatesTokenCount"],
         "gemini: usageMetadata adds up", u)
    t.eq(j.get("modelVersion"), S.MODEL, "gemini: modelVersion")


def gemini_chunks_ok(t, what, chunks):
    t.ok(chunks and all(isinstance(c, dict) and c.get("candidates") and
                        c["candidates"][0].get("content", {}).get("role") ==
                        "model" for c in chunks),
         "%s: every chunk is a GenerateContentResponse" % what, chunks)
    last = chunks[-1] if chunks else {}
    lc = (last.get("candidates") or [{}])[0]
    t.ok(lc.get("finishReason") == "STOP" and
         last.get("usageMetadata", {}).get("totalTokenCount", 0) > 0,
         "%s: the last chunk has STOP and usageMetadata" % what, last)
    t.ok(all("finishReason" not in c["candidates"][0]
             for c in chunks[:-1]),
         "%s: finishReason only on the last chunk" % what, chunks)


def test_gemini_stream_sse(t):
    st, h, body = S.gemini(D, S.gemini_req("MOCK:events:3"), stream=True)
    t.eq(st, 200, "gemini alt=sse: 200", body)
    t.ok(h.get("content-type", "").startswith("text/event-stream"),
         "gemini alt=sse: text/event-stream", h)
    data = S.sse_data(body)
    t.ok("[DONE]" not in data and b"event:" not in body,
         "gemini alt=sse: data lines only, no [DONE]", body)
    gemini_chunks_ok(t, "gemini alt=sse", data)
    t.eq("".join(S.gemini_text(c) or "" for c in data), "w1 w2 w3 ",
         "gemini alt=sse: text deltas (not cumulative)")


def test_gemini_stream_array(t):
    st, h, body = S.gemini(D, S.gemini_req("MOCK:events:3"), stream=True,
                           sse=False)
    t.eq(st, 200, "gemini JSON-array stream: 200", body)
    t.ok(h.get("content-type", "").startswith("application/json"),
         "gemini JSON-array stream: application/json", h)
    arr = harness.jbody(body)
    t.ok(isinstance(arr, list) and body.lstrip().startswith(b"[") and
         b"data:" not in body, "gemini JSON-array stream: one JSON array",
         body)
    arr = arr if isinstance(arr, list) else []
    t.ok(body.count(b"},\r\n{") == len(arr) - 1 and len(arr) > 1,
         "gemini JSON-array stream: objects separated by ,\\r\\n as "
         "Google sends them", body)
    gemini_chunks_ok(t, "gemini JSON-array stream", arr)
    t.eq("".join(S.gemini_text(c) or "" for c in arr), "w1 w2 w3 ",
         "gemini JSON-array stream: text deltas")


def test_gemini_true_streaming(t):
    for sse in (True, False):
        what = "alt=sse" if sse else "JSON array"
        s, buf, pieces = K.stream_raw(D, S.gemini_req("MOCK:slow:400:3"),
                                      path=S.gemini_path(S.MODEL, True, sse))
        s.close()
        first = next((tm for tm, c in pieces if b"chunk 1" in c), None)
        total = pieces[-1][0] if pieces else 0
        t.ok(first is not None and first < 0.35 and total >= 0.75,
             "gemini %s: the first chunk arrives before the upstream ends "
             "(%.2fs of %.2fs)" % (what, first or -1, total))


def test_gemini_function_calls(t):
    req = S.gemini_req("MOCK:tool", tools=S.GEMINI_TOOLS)
    st, _, body = S.gemini(D, req)
    j = harness.jbody(body) or {}
    cand = (j.get("candidates") or [{}])[0]
    parts = cand.get("content", {}).get("parts") or []
    fcs = [p["functionCall"] for p in parts if "functionCall" in p]
    t.ok(st == 200 and len(fcs) == 1 and fcs[0].get("name") ==
         "get_weather" and fcs[0].get("args") == WEATHER,
         "gemini: a functionCall part with object args", body)
    t.eq(parts[:1], [{"text": TOOL_TEXT}], "gemini: the text part first")
    t.eq(cand.get("finishReason"), "STOP",
         "gemini: finishReason STOP after a function call (decision 9)")

    for sse in (True, False):
        what = "alt=sse" if sse else "JSON array"
        st, _, body = S.gemini(D, req, stream=True, sse=sse)
        chunks = S.sse_data(body) if sse else (harness.jbody(body) or [])
        whole = [p["functionCall"] for c in chunks if isinstance(c, dict)
                 for p in (c.get("candidates") or [{}])[0].get(
                     "content", {}).get("parts", []) if "functionCall" in p]
        t.ok(st == 200 and len(whole) == 1 and
             whole[0].get("args") == WEATHER,
             "gemini %s stream: the functionCall arrives whole in one chunk"
             % what, body)

    # the round trip, with and without functionResponse.id
    for with_id in (True, False):
        fc = dict(fcs[0]) if fcs else {"name": "get_weather", "args": {}}
        fr = {"name": "get_weather", "response": {"result": "sunny"}}
        if with_id and "id" in fc:
            fr["id"] = fc["id"]
        if not with_id:
            fc.pop("id", None)
        M.reset()
        st, _, body = S.gemini(D, {"contents": [
            {"role": "user", "parts": [{"text": "MOCK:tool"}]},
            {"role": "model", "parts": [{"functionCall": fc}]},
            {"role": "user", "parts": [{"functionResponse": fr}]}],
            "tools": S.GEMINI_TOOLS})
        what = "with id" if with_id else "without id"
        t.eq((st, S.gemini_text(harness.jbody(body))),
             (200, "The weather is fine."),
             "gemini functionResponse (%s) answered" % what)
        kb = S.last_chat(M)
        uses = [x["assistantResponseMessage"].get("toolUses") for x in
                S.history(kb) if "assistantResponseMessage" in x]
        res = S.current(kb).get("userInputMessageContext", {}).get(
            "toolResults") or [{}]
        uid = uses[-1][0].get("toolUseId") if uses and uses[-1] else None
        t.ok(uid and res[0].get("toolUseId") == uid and
             (not with_id or uid == fc.get("id")) and
             "sunny" in json.dumps(res[0].get("content")),
             "gemini functionResponse (%s): toolResults match the toolUses "
             "id" % what, kb)


def test_gemini_models(t):
    st, _, body = harness.request(D, "GET", "/v1beta/models",
                                  {"x-goog-api-key": D.api_key})
    j = harness.jbody(body) or {}
    ms = {m.get("name"): m for m in j.get("models", [])}
    m = ms.get("models/" + S.MODEL, {})
    t.ok(st == 200 and "models/claude-sonnet-4-20250514" in ms,
         "GET /v1beta/models: the Kiro models", body)
    t.ok(m.get("version") and m.get("displayName") and
         isinstance(m.get("inputTokenLimit"), int) and
         isinstance(m.get("outputTokenLimit"), int) and
         m.get("supportedGenerationMethods") == ["generateContent",
                                                 "streamGenerateContent"],
         "GET /v1beta/models: the Gemini model shape", m)
    st, _, body = harness.request(D, "GET", "/v1beta/models/" + S.MODEL,
                                  {"x-goog-api-key": D.api_key})
    t.ok(st == 200 and harness.jbody(body) == m,
         "GET /v1beta/models/claude-sonnet-4-5: the list entry", body)
    st, _, body = harness.request(D, "GET", "/v1beta/models/no-such-model",
                                  {"x-goog-api-key": D.api_key})
    j = harness.jbody(body) or {}
    t.ok(st == 404 and harness.is_gemini_error(j) and
         j["error"]["status"] == "NOT_FOUND",
         "GET /v1beta/models/<unknown>: 404 NOT_FOUND", body)
    st, _, body = harness.request(D, "GET", "/v1beta/models?key=" +
                                  D.api_key)
    t.eq(st, 200, "GET /v1beta/models?key=: the query key authorises")


# ---------------------------------------------------------------------
# errors

def openai_err(body):
    j = harness.jbody(body) or {}
    return harness.is_openai_error(j), (j.get("error") or {})


def gemini_err(body):
    j = harness.jbody(body) or {}
    return harness.is_gemini_error(j), (j.get("error") or {})


def test_errors_bad_request(t):
    st, _, body = S.openai(D, None, raw_body="{not json")
    ok, e = openai_err(body)
    t.ok(st == 400 and ok and e.get("type") == "invalid_request_error",
         "openai bad JSON: 400 invalid_request_error", body)
    st, _, body = S.gemini(D, None, raw_body="{not json")
    ok, e = gemini_err(body)
    t.ok(st == 400 and ok and e.get("code") == 400 and
         e.get("status") == "INVALID_ARGUMENT",
         "gemini bad JSON: 400 INVALID_ARGUMENT", body)
    st, _, body = harness.request(D, "POST", "/v1/messages", K.hdrs(D),
                                  "{not json")
    t.ok(st == 400 and harness.is_claude_error(body),
         "claude bad JSON: 400 in the Claude shape", body)

    st, _, body = S.openai(D, {"model": S.MODEL})
    ok, e = openai_err(body)
    t.ok(st == 400 and ok and "messages" in e.get("message", ""),
         "openai without messages: 400 naming the field", body)
    st, _, body = S.gemini(D, {"generationConfig": {}})
    ok, e = gemini_err(body)
    t.ok(st == 400 and ok and "contents" in e.get("message", ""),
         "gemini without contents: 400 naming the field", body)
    st, _, body = S.openai(D, {"model": S.MODEL, "messages": "hi"})
    t.ok(st == 400 and openai_err(body)[0],
         "openai messages of the wrong type: 400", body)

    st, _, body = S.openai(D, S.openai_req("hi", model="no-such-model"))
    ok, e = openai_err(body)
    t.ok(st == 400 and ok and "no-such-model" in e.get("message", "") and
         S.MODEL in e.get("message", "") and
         e.get("type") == "invalid_request_error",
         "openai unknown model: 400 listing the models", body)
    st, _, body = S.gemini(D, S.gemini_req("hi"), model="no-such-model")
    ok, e = gemini_err(body)
    t.ok(st == 400 and ok and S.MODEL in e.get("message", "") and
         e.get("status") == "INVALID_ARGUMENT",
         "gemini unknown model: 400 listing the models", body)
    st, _, body = S.gemini(D, S.gemini_req("hi"), model="no-such-model",
                           stream=True)
    t.ok(st == 400 and gemini_err(body)[0],
         "gemini stream, unknown model: 400 before any stream", body)


def test_errors_upstream_429(t):
    st, h, body = S.openai(D, S.openai_req("MOCK:status:429"))
    ok, e = openai_err(body)
    t.ok(st == 429 and ok and e.get("type") == "rate_limit_error",
         "openai upstream 429: 429 rate_limit_error", body)
    st, h, body = S.openai(D, S.openai_req("MOCK:status:429", stream=True))
    ok, e = openai_err(body)
    t.ok(st == 429 and ok and e.get("type") == "rate_limit_error" and
         "event-stream" not in h.get("content-type", ""),
         "openai stream, upstream 429 before output: a real 429", body)
    for stream, sse in ((False, True), (True, True), (True, False)):
        what = "stream alt=sse" if stream and sse else \
            "stream array" if stream else "generateContent"
        st, _, body = S.gemini(D, S.gemini_req("MOCK:status:429"),
                               stream=stream, sse=sse)
        ok, e = gemini_err(body)
        t.ok(st == 429 and ok and e.get("code") == 429 and
             e.get("status") == "RESOURCE_EXHAUSTED",
             "gemini %s, upstream 429: 429 RESOURCE_EXHAUSTED" % what, body)
    st, _, body = S.openai(D, S.openai_req("MOCK:status:503"))
    ok, e = openai_err(body)
    t.ok(st >= 500 and ok and e.get("type") == "server_error",
         "openai upstream 503: server_error", (st, body))
    st, _, body = S.gemini(D, S.gemini_req("MOCK:status:503"))
    ok, e = gemini_err(body)
    t.ok(st >= 500 and ok and e.get("status") == "UNAVAILABLE",
         "gemini upstream 503: UNAVAILABLE", (st, body))


def test_errors_mid_stream(t):
    st, _, body = S.openai(D, S.openai_req("MOCK:cut", stream=True))
    data = S.sse_data(body)
    last = data[-1] if data else None
    text = "".join(chunk_choice(c).get("delta", {}).get("content") or ""
                   for c in data[:-1] if isinstance(c, dict))
    t.ok(st == 200 and text == "Hello partial " and
         harness.is_openai_error(last) and "[DONE]" not in data,
         "openai stream cut: the text, then data: {\"error\"}, no [DONE]",
         body)
    st, _, body = S.openai(D, S.openai_req(
        "MOCK:exception:ThrottlingException", stream=True))
    data = S.sse_data(body)
    last = data[-1] if data else {}
    t.ok(harness.is_openai_error(last) and
         last["error"]["type"] == "rate_limit_error",
         "openai stream: an upstream exception after output is an error "
         "chunk of its type", body)

    st, _, body = S.gemini(D, S.gemini_req("MOCK:cut"), stream=True)
    data = S.sse_data(body)
    t.ok(st == 200 and data and harness.is_gemini_error(data[-1]) and
         "".join(S.gemini_text(c) or "" for c in data[:-1]) ==
         "Hello partial ",
         "gemini alt=sse stream cut: the text, then data: {\"error\"}",
         body)
    st, _, body = S.gemini(D, S.gemini_req("MOCK:cut"), stream=True,
                           sse=False)
    arr = harness.jbody(body)
    t.ok(st == 200 and isinstance(arr, list) and arr and
         harness.is_gemini_error(arr[-1]),
         "gemini array stream cut: the array ends with an error element",
         body)
    st, _, body = S.gemini(D, S.gemini_req(
        "MOCK:exception:ThrottlingException"), stream=True)
    data = S.sse_data(body)
    t.ok(data and harness.is_gemini_error(data[-1]) and
         data[-1]["error"]["status"] == "RESOURCE_EXHAUSTED",
         "gemini stream: an upstream exception after output is an error "
         "of its status", body)
    st, _, body = S.openai(D, S.openai_req("MOCK:cut"))
    t.ok(st == 502 and openai_err(body)[0],
         "openai non-stream cut: 502 in the OpenAI shape", body)
    st, _, body = S.gemini(D, S.gemini_req("MOCK:cut"))
    ok, e = gemini_err(body)
    t.ok(st == 502 and ok and e.get("status") == "UNAVAILABLE",
         "gemini non-stream cut: 502 UNAVAILABLE", body)


def test_auth_in_dialect(t):
    st, _, body = S.openai(D, S.openai_req("hi"), key="wrong")
    t.ok(st == 401 and openai_err(body)[0] and
         openai_err(body)[1]["message"] == harness.UNAUTH_MSG,
         "openai wrong key: 401 in the OpenAI shape", body)
    st, _, body = S.gemini(D, S.gemini_req("hi"), key="wrong")
    t.ok(st == 401 and gemini_err(body)[0] and
         gemini_err(body)[1]["status"] == "UNAUTHENTICATED",
         "gemini wrong key: 401 UNAUTHENTICATED", body)


def test_request_variants(t):
    """Forms real clients send: developer and array system messages,
    Gemini's snake_case system_instruction, a base64 data: URL wrapped
    over lines (decision 20), the key in the query next to alt=sse."""
    def content_of(send):
        M.reset()
        st, _, body = send()
        if st != 200:
            return "HTTP %d %s" % (st, body[:300])
        return S.current(S.last_chat(M)).get("content")
    t.eq(content_of(lambda: S.openai(D, {"model": S.MODEL, "messages": [
        {"role": "developer", "content": "dev rules"},
        {"role": "user", "content": "u"}]})), "dev rules\n\nu",
        "openai developer message: a system text")
    t.eq(content_of(lambda: S.openai(D, {"model": S.MODEL, "messages": [
        {"role": "system", "content": [{"type": "text", "text": "arr"}]},
        {"role": "user", "content": [{"type": "text", "text": "u1"},
                                     {"type": "text", "text": "u2"}]}]})),
        "arr\n\nu1u2", "openai array contents: system and user text parts")
    t.eq(content_of(lambda: S.gemini(D, {
        "system_instruction": {"parts": [{"text": "snake"}]},
        "contents": [{"parts": [{"text": "u"}]}]})), "snake\n\nu",
        "gemini system_instruction (snake_case) and a content without role")
    jpeg = S.jpeg_bytes()
    wrapped = "\n".join(S.b64(jpeg)[i:i + 76]
                        for i in range(0, len(S.b64(jpeg)), 76))
    M.reset()
    st, _, body = S.openai(D, {"model": S.MODEL, "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "MOCK:image"},
            {"type": "image_url", "image_url": {
                "url": "data:image/jpeg;base64," + wrapped}}]}]})
    t.ok(st == 200 and S.openai_text(harness.jbody(body)) ==
         "1 image: jpeg" and S.current(S.last_chat(M)).get("images") ==
         [{"format": "jpeg", "source": {"bytes": S.b64(jpeg)}}],
         "openai data: URL with wrapped base64: the bytes unwrapped", body)
    st, h, body = harness.request(
        D, "POST", "/v1beta/models/%s:streamGenerateContent?key=%s&alt=sse"
        % (S.MODEL, D.api_key), {"Content-Type": "application/json"},
        json.dumps(S.gemini_req("hi")))
    t.ok(st == 200 and h.get("content-type", "").startswith(
        "text/event-stream") and S.sse_data(body),
        "gemini ?key=...&alt=sse: an SSE stream", body)
    st, _, body = S.openai(D, {"model": S.MODEL, "stream": "true",
                               "messages": [{"role": "user",
                                             "content": "u"}]})
    t.ok(st == 400 and harness.is_openai_error(body) and b"stream" in body,
         "openai stream of the wrong type: 400 naming it", body)


# ---------------------------------------------------------------------
# Anthropic-shaped requests on /v1/chat/completions (decision 6)

def test_claude_shape_on_openai(t):
    png = S.png_bytes()
    M.reset()
    st, _, body = S.openai(D, {
        "model": S.MODEL, "max_tokens": 100,
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "MOCK:image look"},
                {"type": "image", "source": {"type": "base64",
                                             "media_type": "image/png",
                                             "data": S.b64(png)}},
                {"type": "document", "source": {"type": "text",
                                                "media_type": "text/plain",
                                                "data": "doc body"}}]}]})
    j = harness.jbody(body)
    t.ok(st == 200 and j and j.get("object") == "chat.completion" and
         S.openai_text(j) == "1 image: png",
         "Anthropic image block on /v1/chat/completions: an OpenAI answer",
         body)
    cur = S.current(S.last_chat(M))
    t.eq(cur.get("images"), [{"format": "png",
                              "source": {"bytes": S.b64(png)}}],
         "the image block reached Kiro")
    c = cur.get("content") or ""
    t.ok(c.startswith("be brief\n\n") and "MOCK:image look" in c and
         "<document>\ndoc body\n</document>" in c,
         "system text, text and the inlined text document reached Kiro", c)

    st, _, body = S.openai(D, {"model": S.MODEL, "tools": S.CLAUDE_TOOLS,
                               "messages": [{"role": "user",
                                             "content": "MOCK:tool"}]})
    j = harness.jbody(body) or {}
    calls = chunk_choice(j).get("message", {}).get("tool_calls") or []
    t.ok(st == 200 and chunk_choice(j).get("finish_reason") ==
         "tool_calls" and len(calls) == 1 and
         calls[0]["function"]["name"] == "get_weather",
         "Anthropic-style tools on /v1/chat/completions: OpenAI tool_calls",
         body)
    specs = S.tool_specs(S.last_chat(M))
    t.eq(specs and specs[0].get("inputSchema"),
         {"json": S.CLAUDE_TOOLS[0]["input_schema"]},
         "the input_schema reached Kiro")

    tid = calls[0]["id"] if calls else "toolu_x"
    M.reset()
    st, _, body = S.openai(D, {"model": S.MODEL, "tools": S.CLAUDE_TOOLS,
                               "stream": True, "messages": [
        {"role": "user", "content": "MOCK:tool"},
        {"role": "assistant", "content": [
            {"type": "text", "text": TOOL_TEXT},
            {"type": "tool_use", "id": tid, "name": "get_weather",
             "input": WEATHER}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tid,
             "content": [{"type": "text", "text": "sunny"}]}]}]})
    chunks, data = openai_chunks(body)
    text = "".join(chunk_choice(c).get("delta", {}).get("content") or ""
                   for c in chunks)
    t.ok(st == 200 and text == "The weather is fine." and
         data[-1:] == ["[DONE]"],
         "tool_use / tool_result blocks on /v1/chat/completions: an OpenAI "
         "stream", body)
    kb = S.last_chat(M)
    res = S.current(kb).get("userInputMessageContext", {}).get(
        "toolResults")
    t.eq(res, [{"content": [{"text": "sunny"}], "status": "success",
                "toolUseId": tid}], "the tool_result reached Kiro")


if __name__ == "__main__":
    if not mockup.available():
        print("1..0 # SKIP mockup not built (%s)" % mockup.MOCKUP)
        sys.exit(0)

    def _start():
        global D
        D = start()
        return D

    harness.main([test_openai_non_stream, test_openai_stream_text,
                  test_openai_stream_usage, test_openai_stream_tool_call,
                  test_openai_non_stream_tool_call,
                  test_openai_true_streaming, test_gemini_generate,
                  test_gemini_stream_sse, test_gemini_stream_array,
                  test_gemini_true_streaming, test_gemini_function_calls,
                  test_gemini_models, test_errors_bad_request,
                  test_errors_upstream_429, test_errors_mid_stream,
                  test_auth_in_dialect, test_request_variants,
                  test_claude_shape_on_openai],
                 start=_start)
