#!/usr/bin/env python3
"""
test_kiro.py: the claude-kiro-oauth provider end to end, through the
Anthropic Messages dialect, against the mock Kiro upstream: answers
and true streaming, tool calls, the spec fixtures, errors and retries,
token refresh in the master (social, IdC, single flight, write-back),
bad credentials, accounts in aiclientctl, and secrets kept out of logs.
"""

import concurrent.futures
import json
import os
import stat
import sys
import time

import harness
import kirotest as K
import mockup

M = None	# the shared mock
D = None	# the shared daemon


def start():
    global M
    M = mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"])
    return K.daemon(M, K.social_cred())


def test_non_stream_answer(t):
    st, h, body = K.messages(D, K.claude_req())
    j = harness.jbody(body)
    t.eq(st, 200, "non-stream: 200", body)
    t.ok(j and j["type"] == "message" and j["role"] == "assistant",
         "non-stream: an Anthropic message", body)
    t.eq(j and j["content"], [{"type": "text",
                               "text": "Hello from mock Kiro."}],
         "non-stream: the mock's text in one block")
    t.eq(j and j["stop_reason"], "end_turn", "non-stream: end_turn")
    t.eq(j and j["model"], "claude-sonnet-4-5", "the client's model echoed")
    t.ok(j and j["id"].startswith("msg_"), "message id msg_...")
    t.ok(j and j["usage"]["input_tokens"] > 0 and
         j["usage"]["output_tokens"] > 0, "usage counted", body)
    reqs = M.requests()
    chat = [r for r in reqs if r["path"].endswith("generateAssistantResponse")]
    last = chat[-1]
    t.eq(last["headers"].get("authorization"), "Bearer tok-1",
         "the access token is sent")
    t.ok(last["headers"].get("x-amzn-kiro-agent-mode") == "vibe" and
         "KiroIDE-" in last["headers"].get("user-agent", ""),
         "Kiro headers sent", last["headers"])
    cs = last["body"]["conversationState"]
    t.eq(cs["currentMessage"]["userInputMessage"]["modelId"],
         "claude-sonnet-4.5", "model mapped to the Kiro id")
    t.eq(last["body"].get("profileArn"), K.ARN, "profileArn for social")


def test_stream_events(t):
    s, buf, _ = K.stream_raw(D, K.claude_req(stream=True))
    s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    t.ok(b" 200 " in head.split(b"\r\n")[0] and
         b"text/event-stream" in head.lower(), "stream: 200 event-stream",
         head)
    r, _ = harness.parse_one(buf, method="POST")
    evs = K.merge_deltas(K.parse_sse(r.body))
    names = [e for e, _ in evs]
    t.eq(names, ["message_start", "content_block_start",
                 "content_block_delta", "content_block_stop",
                 "message_delta", "message_stop"], "stream: event order",
         r.body)
    t.ok(all(d.get("type") == e for e, d in evs if isinstance(d, dict)),
         "each event name equals its type")
    t.eq(evs[2][1]["delta"]["text"], "Hello from mock Kiro.",
         "stream: text deltas")
    t.eq(evs[4][1]["delta"]["stop_reason"], "end_turn", "stream: stop")


def test_fixtures(t):
    for name in ("text-answer", "tool-call-fragments", "bracket-tool-call",
                 "exception-midstream", "exception-first"):
        with open(os.path.join(K.FIXTURES, name + ".expected.json")) as f:
            exp = json.load(f)
        req = json.loads(json.dumps(exp["request"]))
        # the directive rides in the last user message
        msg = req["messages"][-1]
        directive = "MOCK:fixture:" + name
        if isinstance(msg["content"], str):
            msg["content"] = msg["content"] + " " + directive
        else:
            msg["content"].append({"type": "text", "text": directive})
        for mode in ("non_stream", "stream"):
            if mode not in exp:
                continue
            want = exp[mode]
            req["stream"] = mode == "stream"
            st, h, body = K.messages(D, req, headers={})
            t.eq(st, want["http_status"], "%s %s: status" % (name, mode),
                 body)
            if "body" in want:
                e = K.match(want["body"], harness.jbody(body))
                t.ok(e is None, "%s %s: body" % (name, mode), "%s\n%s" %
                     (e, body))
            if "events" in want:
                got = [{"event": a, "data": b} for a, b in
                       K.merge_deltas(K.parse_sse(body))]
                e = K.match(want["events"], got)
                t.ok(e is None, "%s %s: events" % (name, mode), "%s\n%s" %
                     (e, body))


def test_tool_round_trip(t):
    tools = [{"name": "get_weather", "description": "Weather",
              "input_schema": {"type": "object", "properties": {
                  "city": {"type": "string"}}}}]
    st, _, body = K.messages(D, K.claude_req("MOCK:tool", tools=tools))
    j = harness.jbody(body)
    t.eq(st, 200, "tool call: 200", body)
    tu = [b for b in (j or {}).get("content", []) if b["type"] == "tool_use"]
    t.ok(len(tu) == 1 and tu[0]["name"] == "get_weather" and
         tu[0]["input"] == {"city": "Berlin", "unit": "celsius"},
         "tool call assembled from fragments", body)
    t.eq(j and j["stop_reason"], "tool_use", "stop_reason tool_use")
    msgs = [{"role": "user", "content": "MOCK:tool"},
            {"role": "assistant", "content": j["content"]},
            {"role": "user", "content": [{"type": "tool_result",
             "tool_use_id": tu[0]["id"], "content": "sunny, 21C"}]}]
    st, _, body = K.messages(D, {"model": "claude-sonnet-4-5",
                                 "max_tokens": 100, "messages": msgs,
                                 "tools": tools})
    j = harness.jbody(body)
    t.eq(st, 200, "tool result turn: 200", body)
    t.eq(j and j["content"][0].get("text"), "The weather is fine.",
         "the tool result reached the upstream")
    last = [r for r in M.requests() if r["path"].endswith(
        "generateAssistantResponse")][-1]
    ctx = last["body"]["conversationState"]["currentMessage"][
        "userInputMessage"]["userInputMessageContext"]
    t.eq(ctx["toolResults"][0]["toolUseId"], tu[0]["id"],
         "toolUseId round trip")


def test_access_line_during_long_stream(t):
    # /health answered, then a pipelined stream that sends something
    # every 10 ms for 3 s: the worker never waits, yet the access line of
    # /health it holds reaches the log within about a second.
    with K.daemon(M, K.social_cred(), {"WORKERS": 2,
                                       "MAX_WORKERS": 2}) as d:
        d.wait_idle(2)
        time.sleep(0.2)
        base = d.log().count('"GET /health" 200')
        body = json.dumps(K.claude_req("MOCK:slow:10:300",
                                       stream=True)).encode()
        s = harness.connect(d.port, timeout=10)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
                  ("POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
                   "x-api-key: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\nConnection: close\r\n\r\n" %
                   (d.api_key, len(body))).encode() + body)
        t0 = time.monotonic()
        logged = harness.wait_until(
            lambda: d.log().count('"GET /health" 200') > base, 2.5,
            interval=0.05)
        dt = time.monotonic() - t0
        got = b""
        s.settimeout(10)
        while True:
            try:
                c = s.recv(65536)
            except OSError:
                break
            if not c:
                break
            got += c
        s.close()
        total = time.monotonic() - t0
        t.ok(logged and dt < 2.0 and dt < total - 0.5,
             "the held line is written %.2fs into a %.2fs stream" %
             (dt, total), d.log()[-1500:])
        t.ok(b"message_stop" in got, "the stream completes")


def test_true_streaming(t):
    body = K.claude_req("MOCK:slow:400:4", stream=True)
    s, buf, pieces = K.stream_raw(D, body)
    s.close()
    first = next((tm for tm, c in pieces if b"content_block_delta" in c),
                 None)
    total = pieces[-1][0] if pieces else 0
    t.ok(first is not None and first < 0.35,
         "first delta arrives before the upstream is done (%.3fs)" %
         (first or -1))
    t.ok(total >= 1.1, "the answer takes the upstream's time (%.2fs)" % total)
    r, _ = harness.parse_one(buf, method="POST")
    evs = K.merge_deltas(K.parse_sse(r.body))
    t.eq(evs[2][1]["delta"]["text"], "chunk 1 chunk 2 chunk 3 chunk 4 ",
         "all slow chunks relayed")


def test_ping_while_upstream_silent(t):
    """DESIGN decision 5: a Claude ping every 15 s of upstream silence."""
    s, buf, pieces = K.stream_raw(D, K.claude_req("MOCK:slow:16500:2",
                                                  stream=True), timeout=40)
    s.close()
    r, _ = harness.parse_one(buf, method="POST")
    evs = K.parse_sse(r.body) if r else []
    names = [e for e, _ in evs]
    pings = [tm for tm, c in pieces if b"event: ping" in c]
    t.ok(any(14.5 < tm < 16.5 for tm in pings),
         "a ping after ~15 s of upstream silence (at %s)" %
         ["%.1f" % x for x in pings])
    t.ok(names and names[-1] == "message_stop" and
         "content_block_delta" in names, "and the answer completes", names)


def test_403_refresh_then_ok(t):
    M.reset()
    st, _, body = K.messages(D, K.claude_req("MOCK:fail:403:1 hello"))
    t.eq(st, 200, "403 then refresh then retry: 200", body)
    s = M.stats()
    t.eq(s["refresh_social"], 1, "exactly one refresh after the 403", s)
    t.eq(s["chat"], 2, "the call was retried once", s)
    t.eq(accounts(D).get("inflight"), 0,
         "the account counts no request in flight afterwards")


def test_429_retried(t):
    M.reset()
    st, _, body = K.messages(D, K.claude_req("MOCK:fail:429:2 hello"))
    t.eq(st, 200, "429 twice then ok: 200 after retries", body)
    t.eq(M.stats()["chat"], 3, "three calls")


def test_error_mapping(t):
    cases = [("MOCK:status:429", 429, "rate_limit_error"),
             ("MOCK:status:503", 529, "overloaded_error"),
             ("MOCK:status:500", 500, "api_error"),
             ("MOCK:status:400", 400, "invalid_request_error"),
             ("MOCK:status:400:toolong", 400, "invalid_request_error")]
    for text, status, etype in cases:
        st, _, body = K.messages(D, K.claude_req(text))
        j = harness.jbody(body) or {}
        t.eq((st, j.get("type"), j.get("error", {}).get("type")),
             (status, "error", etype), "%s -> %d %s" % (text, status, etype),
             body)
    st, _, body = K.messages(D, K.claude_req("MOCK:status:400:toolong"))
    msg = (harness.jbody(body) or {}).get("error", {}).get("message", "")
    t.ok(msg.startswith("prompt is too long"),
         "input too long: 'prompt is too long' (decision 22)", msg)
    st, _, body = K.messages(D, K.claude_req("MOCK:status:429",
                                             stream=True))
    t.eq(st, 429, "stream request failing before output: real status",
         body)
    t.ok(harness.is_claude_error(body), "and a JSON error body", body)
    t.eq(accounts(D).get("inflight"), 0,
         "after the failures no request is counted in flight")


def test_exception_and_cut_streams(t):
    st, _, body = K.messages(D, K.claude_req("MOCK:cut", stream=True))
    evs = K.parse_sse(body)
    t.eq(st, 200, "cut stream: the head was already sent")
    t.ok(evs and evs[-1][0] == "error" and
         evs[-1][1]["error"]["type"] == "api_error",
         "cut stream ends with an error event", body)
    st, _, body = K.messages(D, K.claude_req("MOCK:cut"))
    t.eq(st, 502, "cut non-stream: 502", body)
    st, _, body = K.messages(D, K.claude_req(
        "MOCK:exception-first:ThrottlingException"))
    t.eq(st, 429, "exception before output: 429", body)


def test_models_and_validation(t):
    st, _, body = K.messages(D, K.claude_req(model="no-such-model"))
    msg = (harness.jbody(body) or {}).get("error", {}).get("message", "")
    t.ok(st == 400 and "claude-sonnet-4-5" in msg and "no-such-model" in msg,
         "unknown model: 400 listing the known names", body)
    b = K.claude_req()
    del b["model"]
    st, _, body = K.messages(D, b)
    t.ok(st == 400 and b"model" in body, "missing model: 400", body)
    st, _, body = K.messages(D, {"model": "claude-sonnet-4-5"})
    t.ok(st == 400 and b"messages" in body, "missing messages: 400", body)
    st, _, body = harness.request(D, "POST", "/v1/messages", K.hdrs(D),
                                  "{not json")
    t.ok(st == 400 and harness.is_claude_error(body),
         "bad JSON: 400 in the Claude shape", body)
    st, _, body = harness.request(D, "GET", "/v1/models", K.hdrs(D))
    j = harness.jbody(body) or {}
    ids = [m.get("id") for m in j.get("data", [])]
    t.ok(st == 200 and "claude-sonnet-4-5" in ids and
         "claude-sonnet-4-20250514" in ids, "GET /v1/models lists Kiro "
         "models", body)
    st, _, body = K.messages(D, K.claude_req("hello world"),
                             path="/v1/messages/count_tokens")
    j = harness.jbody(body) or {}
    t.ok(st == 200 and isinstance(j.get("input_tokens"), int) and
         j["input_tokens"] > 0, "count_tokens answers locally", body)


def test_prefix_path(t):
    st, _, body = K.messages(D, K.claude_req(),
                             path="/claude-kiro-oauth/v1/messages")
    t.eq(st, 200, "/claude-kiro-oauth/v1/messages works", body)


def test_accounts_ctl(t):
    rc, out, err = D.ctl("accounts", json=True)
    j = json.loads(out)
    a = j["accounts"][0]
    t.ok(rc == 0 and a["provider"] == "claude-kiro-oauth" and
         a["auth"] == "social" and a["health"] == "ok" and
         a["region"] == "us-east-1" and "expires" in a,
         "accounts --json", out)
    rc, out, err = D.ctl("accounts")
    t.ok(rc == 0 and "claude-kiro-oauth" in out and "social" in out,
         "accounts text", out)
    both = json.dumps(j) + out + D.log()
    t.ok("ref-1" not in both and "mock-refresh" not in both and
         "tok-1\"" not in both and "Bearer tok" not in both,
         "no token in aiclientctl output or the log")
    rc, out, err = D.ctl("refresh", "claude-kiro-oauth")
    t.ok(rc == 0 and "refreshed" in out, "aiclientctl refresh ID", out + err)
    rc, out, err = D.ctl("refresh", "nope")
    t.ok(rc != 0 and "no account" in err, "refresh of an unknown id fails",
         err)


def test_client_disconnect_aborts(t):
    s, buf, _ = K.stream_raw(D, K.claude_req("MOCK:slow:300:40",
                                             stream=True),
                             read_first_only=True)
    s.close()
    ok = harness.wait_until(lambda: all(w["state"] == "idle" for w in
                                        D.status()["workers"]), 3)
    t.ok(ok, "the worker is free soon after the client left (upstream "
         "aborted)", D.status())


# ---------------------------------------------------------------------
# daemons of their own

def test_refresh_at_start_and_write_back(t):
    with mockup.Mock(refresh_tokens=["ref-x"]) as m:
        d = K.daemon(m, K.social_cred(access="old", refresh="ref-x",
                                      expires_in=-60))
        with d:
            path = d.config["KIRO_OAUTH_CREDS_FILE_PATH"]
            ok = harness.wait_until(lambda: m.stats()["refresh_social"] == 1,
                                    5)
            t.ok(ok, "expired token refreshed at start", m.stats())
            st, _, body = K.messages(d, K.claude_req())
            t.eq(st, 200, "then requests work", body)
            with open(path) as f:
                c = json.load(f)
            t.ok(c["accessToken"].startswith("mock-access-") and
                 c["refreshToken"].startswith("mock-refresh-"),
                 "new tokens written back", c)
            t.ok(c.get("provider") == "Google" and c.get("authMethod") ==
                 "social", "other members kept", c)
            exp = time.mktime(time.strptime(c["expiresAt"][:19],
                                            "%Y-%m-%dT%H:%M:%S")) - \
                time.timezone
            t.ok(abs(exp - (time.time() + 3600)) < 120,
                 "expiresAt = now + expiresIn", c["expiresAt"])
            t.eq(stat.S_IMODE(os.stat(path).st_mode), 0o600,
                 "credential file mode 0600")
            body = m.requests()[0]["body"]
            t.eq(body, {"refreshToken": "ref-x"}, "social refresh body")


def test_idc_refresh(t):
    with mockup.Mock(refresh_tokens=["ref-i"]) as m:
        d = K.daemon(m, dict(K.idc_cred(access="old", refresh="ref-i",
                                        expires_in=-60)))
        with d:
            ok = harness.wait_until(lambda: m.stats()["refresh_idc"] == 1, 5)
            t.ok(ok, "IdC credential refreshed on the OIDC endpoint",
                 m.stats())
            reqs = [r for r in m.requests() if r["path"].endswith("/token")]
            t.eq(reqs and reqs[0]["body"], {"refreshToken": "ref-i",
                 "clientId": "FAKE-client-id",
                 "clientSecret": "FAKE-client-secret",
                 "grantType": "refresh_token"}, "IdC refresh body")
            st, _, body = K.messages(d, K.claude_req())
            t.eq(st, 200, "IdC account serves", body)
            last = [r for r in m.requests() if r["path"].endswith(
                "generateAssistantResponse")][-1]
            t.ok("profileArn" not in last["body"], "no profileArn for IdC")


def test_single_flight_refresh(t):
    with mockup.Mock(refresh_tokens=["ref-s"]) as m:
        m.config(refresh_delay_ms=1500)
        d = K.daemon(m, K.social_cred(access="old", refresh="ref-s",
                                      expires_in=-60),
                     config={"WORKERS": 8, "MAX_WORKERS": 64})
        with d:
            def one(i):
                return K.messages(d, K.claude_req("hi %d" % i))[0]
            with concurrent.futures.ThreadPoolExecutor(50) as ex:
                res = list(ex.map(one, range(50)))
            t.eq(res.count(200), 50, "50 concurrent requests with an expired "
                 "token all succeed", res)
            t.eq(m.stats()["refresh_social"], 1, "exactly one refresh",
                 m.stats())
            toks = {r["headers"].get("authorization") for r in m.requests()
                    if r["path"].endswith("generateAssistantResponse")}
            t.ok("Bearer old" not in toks, "the expired token was never sent",
                 toks)


def accounts(d):
    """The first account of aiclientctl accounts --json, or {}."""
    rc, out, err = d.ctl("accounts", json=True)
    try:
        return json.loads(out)["accounts"][0]
    except (ValueError, KeyError, IndexError):
        sys.stderr.write("aiclientctl accounts: rc %s out %r err %r\n" %
                         (rc, out, err))
        return {}


def test_bad_credentials(t):
    with mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"]) as m:
        d = K.daemon(m, None, start=False)
        path = os.path.join(d.dir, "missing.json")
        d.write_config({"KIRO_OAUTH_CREDS_FILE_PATH": path})
        with d.start():
            st, _, body = K.messages(d, K.claude_req())
            msg = (harness.jbody(body) or {}).get("error", {}).get(
                "message", "")
            t.ok(st == 503 and msg.startswith(
                "no usable claude-kiro-oauth account:") and path in msg,
                "missing file: daemon up, 503 naming the file", body)
            rc, out, _ = d.ctl("accounts", json=True)
            a = json.loads(out)["accounts"][0]
            t.ok(a["health"] == "unusable" and path in a["reason"],
                 "accounts shows it unusable with the reason", out)
            with open(path, "w") as f:
                f.write("{\"accessToken\": ")
            ok = harness.wait_until(lambda: "not valid JSON" in
                                    accounts(d).get("reason", ""), 8)
            t.ok(ok, "malformed file: reason says so")
            K.write_json(path, K.social_cred())
            ok = harness.wait_until(lambda: K.messages(d, K.claude_req())[0]
                                    == 200, 10)
            t.ok(ok, "a repaired file is picked up without a restart")
            t.eq(d.log().count("unusable: %s: No such file" % path), 1,
                 "the problem is logged once, not per request", d.log())


def test_refresh_rejected_needs_login(t):
    with mockup.Mock() as m:
        m.config(refresh_status=400)
        d = K.daemon(m, K.social_cred(access="old", refresh="dead",
                                      expires_in=-60))
        with d:
            path = d.config["KIRO_OAUTH_CREDS_FILE_PATH"]
            before = open(path).read()
            ok = harness.wait_until(lambda: accounts(d).get("health") ==
                                    "needs-login", 5)
            t.ok(ok, "a refused refresh: needs-login")
            t.eq(open(path).read(), before, "the file is left alone")
            st, _, body = K.messages(d, K.claude_req())
            t.ok(st == 503 and b"needs-login" in body,
                 "requests get 503 with the reason", body)


def test_refreshed_token_refused_needs_login(t):
    # kiro.md §8.4: a 401 answered to a freshly refreshed token means
    # only a new login helps: the account needs one, requests say so.
    with mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"]) as m:
        with K.daemon(m, K.social_cred()) as d:
            st, _, body = K.messages(d, K.claude_req("MOCK:status:401"))
            j = harness.jbody(body) or {}
            t.eq((st, j.get("error", {}).get("type")), (502, "api_error"),
                 "401 after a refresh: 502 api_error", body)
            t.ok(b"upstream authentication failed" in body,
                 "saying the upstream refused the credential", body)
            s = m.stats()
            t.eq((s["refresh_social"], s["chat"]), (1, 2),
                 "one refresh, one retry", s)
            a = accounts(d)
            t.eq(a.get("health"), "needs-login",
                 "the account now needs a new login", a)
            st, _, body = K.messages(d, K.claude_req())
            t.ok(st == 503 and b"needs-login" in body,
                 "later requests get 503 with the reason", body)
            t.eq(m.stats()["chat"], 2, "and are not sent upstream")
            t.eq(accounts(d).get("inflight"), 0, "nothing left in flight")


def test_base64_credentials(t):
    with mockup.Mock(refresh_tokens=["ref-b"]) as m:
        cred = K.social_cred(access="old", refresh="ref-b", expires_in=-60)
        d = K.daemon(m, None, start=False,
                     env={"KIRO_OAUTH_CREDS_BASE64": K.b64(cred)})
        with d.start():
            ok = harness.wait_until(lambda: m.stats()["refresh_social"] == 1,
                                    5)
            t.ok(ok, "base64 credential (from the environment) refreshed")
            st, _, body = K.messages(d, K.claude_req())
            t.eq(st, 200, "base64 account serves", body)
            sp = os.path.join(d.state_dir, "state.json")
            t.ok(os.path.exists(sp) and stat.S_IMODE(os.stat(sp).st_mode) ==
                 0o600, "rotated token kept in STATE_DIR/state.json, 0600")
            t.eq(stat.S_IMODE(os.stat(d.state_dir).st_mode), 0o700,
                 "STATE_DIR is 0700")


def test_pool_file(t):
    with mockup.Mock(tokens=["tok-a", "tok-b"]) as m:
        d = K.daemon(m, None, start=False)
        for n in ("a", "b"):
            K.write_json(os.path.join(d.dir, "kiro-%s.json" % n),
                         K.social_cred(access="tok-" + n, refresh="r" + n))
        K.write_json(os.path.join(d.dir, "pools.json"), {
            "claude-kiro-oauth": [
                {"KIRO_OAUTH_CREDS_FILE_PATH": "kiro-a.json", "uuid": "acc-a"},
                {"KIRO_OAUTH_CREDS_FILE_PATH": "kiro-b.json", "uuid": "acc-b"},
            ]})
        d.write_config({"PROVIDER_POOLS_FILE_PATH": "pools.json"})
        with d.start():
            for i in range(6):
                K.messages(d, K.claude_req())
            j = json.loads(d.ctl("accounts", json=True)[1])
            reqs = {a["id"]: a["requests"] for a in j["accounts"]}
            t.ok(reqs.get("acc-a", 0) >= 2 and reqs.get("acc-b", 0) >= 2,
                 "both pool accounts serve (least recently used)", reqs)


if __name__ == "__main__":
    if not mockup.available():
        print("1..0 # SKIP mockup not built (%s)" % mockup.MOCKUP)
        sys.exit(0)

    def _start():
        global D
        D = start()
        return D

    harness.main([test_non_stream_answer, test_stream_events, test_fixtures,
                  test_tool_round_trip, test_true_streaming,
                  test_access_line_during_long_stream,
                  test_ping_while_upstream_silent,
                  test_403_refresh_then_ok, test_429_retried,
                  test_error_mapping, test_exception_and_cut_streams,
                  test_models_and_validation, test_prefix_path,
                  test_accounts_ctl, test_client_disconnect_aborts,
                  test_refresh_at_start_and_write_back, test_idc_refresh,
                  test_single_flight_refresh, test_bad_credentials,
                  test_refresh_rejected_needs_login,
                  test_refreshed_token_refused_needs_login,
                  test_base64_credentials,
                  test_pool_file], start=_start)
