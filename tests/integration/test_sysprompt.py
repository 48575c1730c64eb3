#!/usr/bin/env python3
"""
test_sysprompt.py: the system prompt file (SYSTEM_PROMPT_FILE_PATH,
SYSTEM_PROMPT_MODE overwrite and append) for the OpenAI, Claude and
Gemini dialects, checked in the body the mock Kiro upstream receives
(the system text leads the first user message, kiro.md §4.4 step 6);
no file, reload after an edit, STATE_DIR/fetch_system_prompt.txt; and
the prompt log (PROMPT_LOG_MODE file, full and console; server.md §10
entry format) for stream and non-stream requests.
"""

import concurrent.futures
import json
import os
import re
import stat
import sys
import time

import harness
import kirotest as K
import mockup
import sdktest as S

M = None	# the shared mock
HELLO = "Hello from mock Kiro."
PROMPT = "FILE PROMPT: answer like a pirate."
DIALECTS = ("openai", "claude", "gemini")
ENTRY = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[(INPUT|OUTPUT)\]:\n"
                   r"(.*?)\n-{38}\n", re.S)


def request(d, dialect, user, system=None, stream=False, history=()):
    """One generation request in a dialect: (status, body bytes).
    history: earlier (user, assistant) text pairs."""
    if dialect == "openai":
        msgs = [{"role": "system", "content": system}] if system else []
        for u, a in history:
            msgs += [{"role": "user", "content": u},
                     {"role": "assistant", "content": a}]
        msgs.append({"role": "user", "content": user})
        b = {"model": S.MODEL, "messages": msgs}
        if stream:
            b["stream"] = True
        st, _, body = S.openai(d, b)
    elif dialect == "claude":
        msgs = []
        for u, a in history:
            msgs += [{"role": "user", "content": u},
                     {"role": "assistant", "content": a}]
        msgs.append({"role": "user", "content": user})
        b = {"model": S.MODEL, "max_tokens": 100, "messages": msgs,
             "stream": stream}
        if system is not None:
            b["system"] = system
        st, _, body = S.claude(d, b)
    else:
        cs = []
        for u, a in history:
            cs += [{"role": "user", "parts": [{"text": u}]},
                   {"role": "model", "parts": [{"text": a}]}]
        cs.append({"role": "user", "parts": [{"text": user}]})
        b = {"contents": cs}
        if system:
            b["systemInstruction"] = {"parts": [{"text": system}]}
        st, _, body = S.gemini(d, b, stream=stream)
    return st, body


def sent_content(d, dialect, user, system=None, history=()):
    """The content Kiro received that carries the system text."""
    M.reset()
    st, body = request(d, dialect, user, system, history=history)
    if st != 200:
        return "HTTP %d: %s" % (st, body[:300])
    return S.first_user_text(S.last_chat(M))


def sp_daemon(prompt=None, mode=None, config=None, name=None):
    """A daemon with the system prompt file input_system_prompt.txt next
    to its configuration (the default path) holding prompt (no file when
    None)."""
    cfg = {"SYSTEM_PROMPT_MODE": mode}
    if name is not None:
        cfg["SYSTEM_PROMPT_FILE_PATH"] = name
    cfg.update(config or {})
    d = K.daemon(M, K.social_cred(), config=cfg, start=False)
    if prompt is not None:
        with open(os.path.join(d.dir, name or "input_system_prompt.txt"),
                  "w") as f:
            f.write(prompt)
    d.start()
    return d


def fetch_file(d):
    try:
        with open(os.path.join(d.state_dir, "fetch_system_prompt.txt")) as f:
            return f.read()
    except OSError:
        return None


# ---------------------------------------------------------------------
# injection

def test_overwrite(t):
    with sp_daemon(PROMPT, "overwrite") as d:
        for dl in DIALECTS:
            t.eq(sent_content(d, dl, "u1", system="client system"),
                 PROMPT + "\n\nu1",
                 "overwrite, %s: the file replaces the client's system" % dl)
            t.eq(sent_content(d, dl, "u2"), PROMPT + "\n\nu2",
                 "overwrite, %s: the file is the system without one" % dl)
        for dl in DIALECTS:
            t.eq(sent_content(d, dl, "u3", system="client system",
                              history=[("h-user", "h-answer")]),
                 PROMPT + "\n\nh-user",
                 "overwrite, %s, multi-turn: the system text leads the first "
                 "history user entry" % dl)
        t.eq(fetch_file(d), PROMPT,
             "fetch_system_prompt.txt holds the effective system text")


def test_append(t):
    with sp_daemon(PROMPT, "append") as d:
        for dl in DIALECTS:
            t.eq(sent_content(d, dl, "u1", system="client system"),
                 "client system\n" + PROMPT + "\n\nu1",
                 "append, %s: client system + newline + file" % dl)
            t.eq(fetch_file(d), "client system\n" + PROMPT,
                 "append, %s: fetch_system_prompt.txt follows" % dl)
            t.eq(sent_content(d, dl, "u2"), PROMPT + "\n\nu2",
                 "append, %s: without a client system only the file (the "
                 "user text is not taken as system)" % dl)
        c = sent_content(d, "claude", "u4", system=[
            {"type": "text", "text": "block one"},
            {"type": "text", "text": "block two",
             "cache_control": {"type": "ephemeral"}}])
        t.ok(re.match(r"block one\s+block two\s+" + re.escape(PROMPT) +
                      r"\n\nu4$", c or "") is not None,
             "append, claude system blocks: a block is appended, no JSON "
             "text", c)
        t.eq(fetch_file(d) and fetch_file(d).endswith(PROMPT), True,
             "fetch_system_prompt.txt after the block system")


def test_no_file(t):
    with sp_daemon(None, "overwrite") as d:
        for dl in DIALECTS:
            t.eq(sent_content(d, dl, "u1"), "u1",
                 "no file, %s: nothing injected" % dl)
            t.eq(sent_content(d, dl, "u2", system="client system"),
                 "client system\n\nu2",
                 "no file, %s: the client's system is kept" % dl)
    with sp_daemon(" \n\t\n", "overwrite") as d:
        t.eq(sent_content(d, "openai", "u1"), "u1",
             "a file of white space only: nothing injected")
    with sp_daemon(PROMPT + "\n", "overwrite", name="prompt.txt") as d:
        t.eq(sent_content(d, "claude", "u1"), PROMPT + "\n\n\nu1",
             "SYSTEM_PROMPT_FILE_PATH elsewhere: used verbatim (trailing "
             "newline kept)")


def test_fetch_file_follows_requests(t):
    """fetch_system_prompt.txt holds the system text of the latest
    request, whichever worker served the one before."""
    with sp_daemon(None, None) as d:
        seq = [("openai", "sys A"), ("claude", "sys B"), ("gemini", "sys A"),
               ("openai", None), ("claude", "sys A"), ("gemini", "sys B"),
               ("openai", "sys B"), ("claude", None), ("gemini", "sys A"),
               ("openai", "sys A")]
        got = []
        for dl, sysp in seq:
            M.reset()
            request(d, dl, "u", system=sysp)
            got.append(fetch_file(d))
        t.eq(got, [x or "" for _, x in seq],
             "no prompt file: fetch_system_prompt.txt holds each request's "
             "own system text, never user text")
    # two keep-alive connections, so two different workers, in turn (4
    # workers: a worker keeps a connection only while others are free;
    # a connection the daemon closes anyway is opened again)
    with sp_daemon(PROMPT, "append", {"WORKERS": 4}) as d:
        d.wait_idle(count=4)
        conns = [None, None]
        got = []
        try:
            for i in range(6):
                body = json.dumps({"model": S.MODEL, "max_tokens": 50,
                                   "system": "client %d" % (i % 2),
                                   "messages": [{"role": "user",
                                                 "content": "u"}]})
                req = harness.http_req("POST", "/v1/messages", K.hdrs(d),
                                       body)
                r = None
                for attempt in range(2):
                    if conns[i % 2] is None:
                        conns[i % 2] = harness.Conn(d.port)
                    c = conns[i % 2]
                    try:
                        c.send(req)
                        r = c.recv_response(timeout=10)
                    except OSError:
                        r = None
                    if r is None or r.headers.get("connection") == "close":
                        c.close()
                        conns[i % 2] = None
                    if r is not None:
                        break
                got.append((r.status if r else None, fetch_file(d)))
        finally:
            for c in conns:
                if c is not None:
                    c.close()
        t.eq(got, [(200, "client %d\n%s" % (i % 2, PROMPT))
                   for i in range(6)],
             "append, two workers in turn: fetch_system_prompt.txt follows "
             "every request")


def test_reload_takes_new_content(t):
    with sp_daemon(PROMPT, "overwrite") as d:
        t.eq(sent_content(d, "openai", "u1"), PROMPT + "\n\nu1",
             "before the edit: the old prompt")
        with open(os.path.join(d.dir, "input_system_prompt.txt"), "w") as f:
            f.write("EDITED PROMPT")
        time.sleep(0.3)
        t.eq(sent_content(d, "openai", "u2"), PROMPT + "\n\nu2",
             "an edit alone changes nothing until the reload")
        rc, out, err = d.ctl("reload")
        t.eq(rc, 0, "aiclientctl reload", out + err)
        got = harness.wait_until(lambda: sent_content(d, "openai", "u3") ==
                                 "EDITED PROMPT\n\nu3", 5)
        t.ok(got, "after the reload: the new content is injected",
             sent_content(d, "openai", "u3"))
        t.eq(fetch_file(d), "EDITED PROMPT",
             "fetch_system_prompt.txt follows the new prompt")
        os.unlink(os.path.join(d.dir, "input_system_prompt.txt"))
        d.signal(1)	# SIGHUP
        got = harness.wait_until(lambda: sent_content(d, "gemini", "u4") ==
                                 "u4", 5)
        t.ok(got, "file removed, SIGHUP: no injection any more",
             sent_content(d, "gemini", "u4"))


def test_fetch_file_off(t):
    with sp_daemon(PROMPT, "overwrite",
                   {"FETCH_SYSTEM_PROMPT_FILE": False}) as d:
        t.eq(sent_content(d, "claude", "u1"), PROMPT + "\n\nu1",
             "FETCH_SYSTEM_PROMPT_FILE false: injection still works")
        t.eq(fetch_file(d), None,
             "FETCH_SYSTEM_PROMPT_FILE false: no fetch_system_prompt.txt")


# ---------------------------------------------------------------------
# prompt log

def log_files(d, base="prompt_log"):
    try:
        names = os.listdir(d.state_dir)
    except OSError:
        return []
    pat = re.compile(re.escape(base) + r"-\d{8}-\d{6}\.log$")
    return sorted(os.path.join(d.state_dir, n) for n in names
                  if pat.match(n))


def entries(text):
    """[(tag, text)] of a prompt log, and whether all of it parsed."""
    out = []
    pos = 0
    for m in ENTRY.finditer(text):
        if m.start() != pos:
            return out, False
        out.append((m.group(2), m.group(3)))
        pos = m.end()
    return out, pos == len(text)


def read(path):
    with open(path) as f:
        return f.read()


def check_file_log(t, mode, base=None):
    cfg = {"PROMPT_LOG_MODE": mode}
    if base:
        cfg["PROMPT_LOG_BASE_NAME"] = base
    with sp_daemon(None, None, cfg) as d:
        files = log_files(d, base or "prompt_log")
        t.eq(len(files), 1, "%s: one %s-YYYYMMDD-HHMMSS.log in STATE_DIR" %
             (mode, base or "prompt_log"), os.listdir(d.state_dir))
        if not files:
            return
        path = files[0]
        t.eq(stat.S_IMODE(os.stat(path).st_mode), 0o600,
             "%s: the log is mode 0600" % mode)
        ts = re.search(r"-(\d{8}-\d{6})\.log$", path).group(1)
        started = time.mktime(time.strptime(ts, "%Y%m%d-%H%M%S"))
        t.ok(abs(started - time.time()) < 60,
             "%s: the name carries the local start time" % mode, path)
        st, _ = request(d, "claude", "log me please")
        st2, _ = request(d, "openai", "MOCK:events:3 stream me",
                         stream=True)
        st3, _ = request(d, "gemini", "gemini text", stream=True)
        t.eq((st, st2, st3), (200, 200, 200), "%s: the requests work" % mode)
        want = [("INPUT", "log me please"), ("OUTPUT", HELLO),
                ("INPUT", "MOCK:events:3 stream me"),
                ("OUTPUT", "w1 w2 w3 "),
                ("INPUT", "gemini text"), ("OUTPUT", HELLO)]
        got = harness.wait_until(lambda: sorted(entries(read(path))[0]) ==
                                 sorted(want), 3)
        text = read(path)
        t.ok(got, "%s: [INPUT] and [OUTPUT] entries for non-stream and "
             "stream requests" % mode, text)
        es = entries(text)[0]
        t.ok(all(es.index(want[i]) < es.index(want[i + 1])
                 for i in (0, 2) if want[i] in es and want[i + 1] in es),
             "%s: each request's INPUT comes before its OUTPUT" % mode,
             text)
        t.ok(entries(text)[1], "%s: nothing but well-formed entries (date, "
             "tag, text, 38 dashes)" % mode, text)
        stamps = [m.group(1) for m in ENTRY.finditer(text)]
        t.ok(stamps and all(abs(time.mktime(time.strptime(
            s, "%Y-%m-%d %H:%M:%S")) - time.time()) < 60 for s in stamps),
            "%s: entry times are local YYYY-MM-DD HH:MM:SS" % mode, stamps)
        return d, path


def test_prompt_log_file(t):
    check_file_log(t, "file")


def test_prompt_log_full(t):
    check_file_log(t, "full", base="guide_log")


def test_prompt_log_concurrent(t):
    with sp_daemon(None, None, {"PROMPT_LOG_MODE": "file",
                                "WORKERS": 4}) as d:
        path = (log_files(d) or [None])[0]

        def one(i):
            return request(d, DIALECTS[i % 3], "parallel %d %s" %
                           (i, "x" * 3000), stream=bool(i % 2))[0]
        with concurrent.futures.ThreadPoolExecutor(12) as ex:
            res = list(ex.map(one, range(24)))
        t.eq(res.count(200), 24, "24 parallel requests succeed", res)
        ok = harness.wait_until(lambda: len(entries(read(path))[0]) == 48,
                                3) if path else False
        text = read(path) if path else ""
        es, whole = entries(text)
        t.ok(ok and whole, "parallel requests: 48 entries, none interleaved",
             "%d entries; %s" % (len(es), text[:3000]))
        ins = sorted(x for tag, x in es if tag == "INPUT")
        t.eq(ins, sorted("parallel %d %s" % (i, "x" * 3000)
                         for i in range(24)),
             "parallel requests: every input logged once")


def test_prompt_log_edges(t):
    with sp_daemon(PROMPT, "overwrite", {"PROMPT_LOG_MODE": "file"}) as d:
        path = (log_files(d) or [None])[0]
        sts = [request(d, "openai", "MOCK:cut cut-stream", stream=True)[0],
               S.openai(d, S.openai_req("MOCK:tool tool-stream", stream=True,
                                        tools=S.OPENAI_TOOLS))[0],
               request(d, "gemini", "MOCK:status:429 refused")[0]]
        t.eq(sts, [200, 200, 429], "edge requests: statuses")
        want = [("INPUT", "MOCK:cut cut-stream"), ("OUTPUT", "Hello partial "),
                ("INPUT", "MOCK:tool tool-stream"),
                ("OUTPUT", "I'll look up the weather in Berlin."),
                ("INPUT", "MOCK:status:429 refused")]
        ok = harness.wait_until(lambda: sorted(entries(read(path))[0]) ==
                                sorted(want), 3) if path else False
        t.ok(ok, "prompt log: the text of a cut stream, the text (not the "
             "tool call) of a tool answer, only the input of a refused "
             "request; the injected system text is not the INPUT",
             read(path) if path else None)


def test_prompt_log_console(t):
    with sp_daemon(None, None, {"PROMPT_LOG_MODE": "console"}) as d:
        st, _ = request(d, "openai", "console input text")
        st2, _ = request(d, "gemini", "MOCK:events:2 console stream",
                         stream=True)
        t.eq((st, st2), (200, 200), "console: the requests work")
        ok = harness.wait_until(lambda: "w1 w2 " in d.log(), 3)
        log = d.log()
        t.ok("[INPUT]" in log and "console input text" in log and
             "[OUTPUT]" in log and HELLO in log and ok,
             "console: [INPUT] and [OUTPUT] entries in the daemon's log", log)
        t.eq(log_files(d), [], "console: no prompt log file")


def test_prompt_log_none(t):
    with sp_daemon(None, None, {"PROMPT_LOG_MODE": "none"}) as d:
        request(d, "openai", "secret words")
        t.eq(log_files(d), [], "none: no prompt log file")
        t.ok("secret words" not in d.log(), "none: no prompt in the log")
        d.write_config({"PROMPT_LOG_MODE": "file"})
        rc, out, err = d.ctl("reload")
        t.eq(rc, 0, "reload turning the file log on", out + err)
        ok = harness.wait_until(lambda: request(d, "claude", "after reload")[0]
                                == 200 and log_files(d) and
                                ("INPUT", "after reload") in
                                entries(read(log_files(d)[0]))[0], 5)
        t.ok(ok, "after the reload: the log file exists and gets entries",
             log_files(d))


if __name__ == "__main__":
    if not mockup.available():
        print("1..0 # SKIP mockup not built (%s)" % mockup.MOCKUP)
        sys.exit(0)

    M = mockup.Mock(tokens=["tok-1"], refresh_tokens=["ref-1"])
    try:
        harness.main([test_overwrite, test_append, test_no_file,
                      test_fetch_file_follows_requests,
                      test_reload_takes_new_content, test_fetch_file_off,
                      test_prompt_log_file, test_prompt_log_full,
                      test_prompt_log_concurrent, test_prompt_log_edges,
                      test_prompt_log_console,
                      test_prompt_log_none])
    finally:
        M.stop()
