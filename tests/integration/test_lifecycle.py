#!/usr/bin/env python3
"""
test_lifecycle.py: the master's side: aiclientctl status, reload (good
and broken configurations, control socket and SIGHUP), respawn after
kill -9, graceful SIGTERM with a request in flight, keep-alive fairness,
the adaptive pool, worker recycling, PID file and control socket.
"""

import contextlib
import os
import re
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AICLIENTCTL, API_KEY, Conn, Daemon,  # noqa: E402
                     dialect_answer, free_port, http_req, jbody, main,
                     pid_alive, request, run, wait_until)

AUTH = {"Authorization": "Bearer " + API_KEY}


def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[1])
    except OSError:
        return None


class Hammer:
    """GET /health in a loop on fresh connections from a thread; counts
    answers and failures, to prove service never stops."""

    def __init__(self, port, path="/health"):
        self.port = port
        self.path = path
        self.ok = 0
        self.fail = []
        self.stop_ev = threading.Event()
        self.th = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop_ev.is_set():
            try:
                st, hd, b = request(self.port, "GET", self.path, timeout=5)
                if st == 200:
                    self.ok += 1
                else:
                    self.fail.append(st)
            except Exception as e:
                self.fail.append(repr(e))
            time.sleep(0.01)

    def __enter__(self):
        self.th.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.th.join(10)
        return False


# ---------------------------------------------------------------------
# one daemon for status, reload, SIGHUP and kill -9

A = None
A_CONF = {"WORKERS": 2, "MAX_WORKERS": 2, "SHUTDOWN_GRACE_SECONDS": 5,
          "BODY_TIMEOUT_SECONDS": 10, "KEEPALIVE_TIMEOUT_SECONDS": 2}


def test_status_text(t):
    rc, out, err = A.ctl("status")
    t.eq(rc, 0, "aiclientctl status exits 0", err)
    t.ok(re.search(r"\bpid %d\b" % A.pid, out), "status names the master "
         "pid", out)
    t.ok(re.search(r"\bgeneration 1\b", out), "status says generation 1",
         out)
    t.ok("127.0.0.1:%d" % A.port in out, "status lists the listener", out)
    t.ok(re.search(r"workers:\s+2\b", out), "status counts 2 workers", out)
    t.ok(A.cfg_path in out or os.path.realpath(A.cfg_path) in out,
         "status names the configuration file", out)
    lines = [ln for ln in out.splitlines() if re.match(r"\s+\d+\s+\d+\s+1\s",
                                                       ln)]
    t.eq(len(lines), 2, "status has a row per worker", out)


def test_status_json(t):
    rc, out, err = A.ctl("status", json=True)
    t.eq(rc, 0, "aiclientctl --json status exits 0", err)
    st = jbody(out)
    t.ok(isinstance(st, dict), "--json prints a JSON object", out)
    if not isinstance(st, dict):
        return
    for k in ("version", "pid", "generation", "started", "uptime", "config",
              "reloading", "shutting_down", "requests", "listeners",
              "workers_min", "workers_max", "workers"):
        t.ok(k in st, "status JSON has %s" % k)
    t.eq(st.get("pid"), A.pid, "status pid is the master's")
    t.eq(st.get("generation"), 1, "generation is 1")
    t.eq(st.get("reloading"), False, "not reloading")
    t.eq(st.get("shutting_down"), False, "not shutting down")
    t.eq(st.get("listeners"), ["127.0.0.1:%d" % A.port],
         "listeners is [127.0.0.1:PORT]")
    t.eq((st.get("workers_min"), st.get("workers_max")), (2, 2),
         "workers_min/workers_max from the configuration")
    t.eq(os.path.realpath(st.get("config") or ""),
         os.path.realpath(A.cfg_path), "config is the file's path")
    t.ok(isinstance(st.get("uptime"), int) and st["uptime"] >= 0,
         "uptime is an integer")
    t.ok(isinstance(st.get("requests"), int), "requests is an integer")
    ws = st.get("workers") or []
    t.eq(len(ws), 2, "2 workers listed")
    for w in ws:
        keys = {"slot", "pid", "generation", "state", "requests",
                "connections", "since"}
        t.ok(keys <= set(w), "worker %s has %s" % (w.get("slot"),
                                                    sorted(keys)), str(w))
        t.ok(w.get("generation") == 1 and pid_alive(w.get("pid", 0)) and
             ppid_of(w["pid"]) == A.pid,
             "worker %s: generation 1, alive, child of the master" %
             w.get("slot"), str(w))
        t.ok(w.get("state") in ("idle", "starting", "reading", "busy",
                                "keepalive"),
             "worker %s state is known (%s)" % (w.get("slot"),
                                                w.get("state")))
    with open(A.pid_path) as f:
        t.eq(f.read().strip(), str(A.pid), "the PID file holds the master "
             "pid")
    mode = os.stat(A.ctl_path).st_mode & 0o777
    t.eq(oct(mode), oct(0o600), "the control socket is mode 0600")
    # the route of a busy worker is shown
    with Conn(A.port) as c:
        c.send(http_req("POST", "/v1/messages",
                        dict(AUTH, **{"Content-Length": "50"})) + b"{")

        def busy():
            return [w for w in A.status()["workers"]
                    if w["state"] == "busy"]
        b = wait_until(busy, 3)
        t.ok(b and b[0].get("route") == "POST /v1/messages",
             "a busy worker shows its route", str(b))
        c.send(b"x" * 49)
        r = c.recv_response(5)
        t.ok(r is not None and r.status >= 400, "that request completes",
             repr(r))


def test_ctl_errors(t):
    rc, out, err = A.ctl("no-such-command")
    t.ok(rc == 1 and "unknown command" in (out + err),
         "an unknown command exits 1 with an error (%d)" % rc, out + err)
    rc, out, err = run([AICLIENTCTL, "-s", A.dir + "/nope.sock", "status"])
    t.ok(rc != 0 and "cannot connect" in err,
         "a missing socket exits non-zero with a message", err)


def test_second_instance_refused(t):
    # same PID file and control socket, another port
    d2 = Daemon(dict(A.config, SERVER_PORT=free_port()), start=False)
    d2.config.update({"PID_FILE": A.pid_path, "CONTROL_SOCKET": A.ctl_path})
    d2.write_config()
    d2.start(wait=False)
    rc = d2.wait(10)
    t.eq(rc, 1, "a second daemon with the same PID file exits 1",
         d2.log())
    t.ok("already running" in d2.log() or "another aiclientd" in d2.log(),
         "it says another instance runs", d2.log())
    d2.kill()
    d2.remove_dir()
    t.ok(os.path.exists(A.pid_path) and os.path.exists(A.ctl_path),
         "the first daemon's PID file and socket are untouched")
    st, _, _ = request(A, "GET", "/health")
    t.eq(st, 200, "the first daemon still serves")


def test_reload_good(t):
    old = A.worker_pids()
    A.write_config({"WORKERS": 3, "MAX_WORKERS": 3})
    with Hammer(A.port) as hm:
        time.sleep(0.2)
        rc, out, err = A.ctl("reload")
        time.sleep(0.3)
    t.eq(rc, 0, "aiclientctl reload exits 0", err)
    t.ok(re.search(r"reloaded: generation 2 is serving", out),
         "it prints 'reloaded: generation 2 is serving'", out + err)
    st = A.status()
    t.eq(st["generation"], 2, "status says generation 2")
    t.eq(st["workers_min"], 3, "the new WORKERS is in effect")

    def old_gone():
        return not any(pid_alive(p) for p in old) and \
            not set(old) & set(A.worker_pids())
    t.ok(wait_until(old_gone, 5), "the old workers are gone within 5s",
         "old %s now %s" % (old, A.worker_pids()))
    ws = A.status()["workers"]
    t.ok(len(ws) == 3 and all(w["generation"] == 2 for w in ws),
         "3 workers, all of generation 2", str(ws))
    t.ok(hm.ok > 5 and not hm.fail,
         "service never stopped during the reload (%d ok, failures %s)" %
         (hm.ok, hm.fail[:5]))
    st, hd, b = request(A, "GET", "/health")
    w = (jbody(b) or {}).get("workers", {})
    t.eq((w.get("generation"), w.get("total")), (2, 3),
         "health reports generation 2 with 3 workers", b)


def test_reload_broken(t):
    good = open(A.cfg_path).read()
    try:
        _reload_broken(t, good)
    finally:
        A.write_config(text=good)


def _reload_broken(t, good):
    pids = A.worker_pids()
    lines = good.splitlines()
    broken = "\n".join(lines[:2] + ["WORKERS: [1, 2"] + lines[2:]) + "\n"
    A.write_config(text=broken)
    with Hammer(A.port) as hm:
        rc, out, err = A.ctl("reload")
    t.eq(rc, 1, "reload of a broken file exits 1", out + err)
    m = re.search(re.escape(os.path.basename(A.cfg_path)) + r":(\d+):", err)
    t.ok(m is not None, "the error on stderr names file:LINE", err)
    t.ok("YAML" in err or "syntax" in err, "the error says what is wrong",
         err)
    st = A.status()
    t.eq(st["generation"], 2, "generation unchanged (2)")
    t.eq(A.worker_pids(), pids, "the same workers keep serving")
    t.ok(hm.ok > 0 and not hm.fail, "service never stopped",
         str(hm.fail[:5]))

    # a type error names key and line
    A.write_config(text=good.replace("WORKERS: 3", "WORKERS: many"))
    wline = [i + 1 for i, ln in enumerate(good.splitlines())
             if ln.startswith("WORKERS:")][0]
    rc, out, err = A.ctl("reload")
    t.eq(rc, 1, "reload with WORKERS: many exits 1", out + err)
    t.ok(("%s:%d:" % (os.path.basename(A.cfg_path), wline)) in err and
         "WORKERS" in err,
         "the error names file:%d and WORKERS" % wline, err)
    t.eq(A.status()["generation"], 2, "generation still 2")

    # a missing key
    A.write_config(text="\n".join(ln for ln in good.splitlines()
                                  if not ln.startswith("REQUIRED_API_KEY")))
    rc, out, err = A.ctl("reload")
    t.ok(rc == 1 and "REQUIRED_API_KEY" in err,
         "reload without REQUIRED_API_KEY is refused", out + err)
    st, _, _ = request(A, "GET", "/v1/nope", AUTH)
    t.eq(st, 404, "the old key still works")
    A.write_config(text=good)
    st, _, _ = request(A, "GET", "/health")
    t.eq(st, 200, "still serving after three refused reloads")


def test_reload_in_flight(t):
    # a request in flight on an old worker completes after a reload
    with Conn(A.port) as c:
        c.send(http_req("POST", "/v1/chat/completions",
                        dict(AUTH, **{"Content-Length": "20"})) + b"0123")
        b = wait_until(lambda: [w for w in A.status()["workers"]
                                if w["state"] == "busy"], 3)
        t.ok(b, "a worker is busy with the slow request", str(b))
        busy_pid = b[0]["pid"] if b else None
        gen = A.status()["generation"]
        rc, out, err = A.ctl("reload")
        t.eq(rc, 0, "reload with a request in flight exits 0", err)
        t.eq(A.status()["generation"], gen + 1, "generation %d" % (gen + 1))
        t.ok(busy_pid is not None and pid_alive(busy_pid),
             "the busy old worker is still alive")
        c.send(b"456789abcdefghij")
        r = c.recv_response(5)
        t.ok(r is not None and
             dialect_answer(r.status, r.body, "openai", r.headers),
             "the in-flight request gets its answer", repr(r))
        # the worker is retiring: it must either say Connection: close or
        # honour the keep-alive it advertised
        said = r.headers.get("connection") if r is not None else None
        nxt = None
        if said != "close":
            try:
                c.send(http_req("POST", "/v1/chat/completions",
                                dict(AUTH, **{"Content-Length": "2"})) +
                       b"{}")
                nxt = c.recv_response(3)
            except OSError as e:
                nxt = e
        t.ok(said == "close" or (nxt is not None and
                                 not isinstance(nxt, OSError)),
             "a retiring worker does not advertise a keep-alive it will "
             "not honour",
             "answer said Connection: %s; the next request sent on the "
             "connection got %r (eof=%s)" % (said, nxt, c.eof))
        t.ok(wait_until(lambda: busy_pid is None or
                        not pid_alive(busy_pid), 3),
             "then the old worker exits")


def test_sighup(t):
    gen = A.status()["generation"]
    old = A.worker_pids()
    A.signal(signal.SIGHUP)
    st = wait_until(lambda: (lambda s: s if s["generation"] == gen + 1
                             and not s["reloading"] else None)(A.status()),
                    5)
    t.ok(st, "SIGHUP reloads: generation %d" % (gen + 1),
         str(A.status()["generation"]))
    t.ok(wait_until(lambda: not any(pid_alive(p) for p in old), 5),
         "the old workers are gone after SIGHUP")
    st, _, _ = request(A, "GET", "/health")
    t.eq(st, 200, "serving after SIGHUP")

    # SIGHUP with a broken file
    good = open(A.cfg_path).read()
    try:
        A.write_config(text=good + "SERVER_PORT: [\n")
        pids = A.worker_pids()
        loglen = len(A.log())
        A.signal(signal.SIGHUP)
        logged = wait_until(lambda: "reload" in A.log()[loglen:] and
                            re.search(r"config\.yaml:\d+:",
                                      A.log()[loglen:]), 5)
        t.ok(logged, "a refused SIGHUP reload logs the error with "
             "file:line", A.log()[loglen:])
        time.sleep(0.3)
        t.eq(A.status()["generation"], gen + 1, "generation unchanged")
        t.eq(A.worker_pids(), pids, "the same workers keep serving")
        st, _, _ = request(A, "GET", "/health")
        t.eq(st, 200, "serving after a refused SIGHUP")
    finally:
        A.write_config(text=good)


def test_reload_stress(t):
    # five reloads in a row under load from four clients: no request
    # may fail
    hms = [Hammer(A.port) for _ in range(4)]
    for hm in hms:
        hm.__enter__()
    gen0 = A.status()["generation"]
    rcs = []
    try:
        for i in range(5):
            rc, out, err = A.ctl("reload")
            rcs.append(rc)
            time.sleep(0.1)
    finally:
        for hm in hms:
            hm.__exit__(None, None, None)
    t.eq(rcs, [0] * 5, "5 reloads in a row all succeed")
    t.eq(A.status()["generation"], gen0 + 5, "generation %d" % (gen0 + 5))
    ok = sum(hm.ok for hm in hms)
    fails = [f for hm in hms for f in hm.fail]
    t.ok(ok > 20 and not fails,
         "4 clients saw no failure across 5 reloads (%d ok, %d failed)" %
         (ok, len(fails)), str(fails[:5]))
    gens = {w["generation"] for w in A.wait_idle(3)["workers"]}
    t.eq(gens, {gen0 + 5}, "only workers of the last generation remain")


def test_reload_new_port(t):
    old_port = A.port
    new_port = free_port()
    A.write_config({"SERVER_PORT": new_port})
    rc, out, err = A.ctl("reload")
    t.eq(rc, 0, "reload onto a new port succeeds", out + err)
    A.port = new_port
    st, _, _ = request(new_port, "GET", "/health")
    t.eq(st, 200, "the new port answers")
    t.eq(A.status()["listeners"], ["127.0.0.1:%d" % new_port],
         "status lists the new listener only")

    def old_closed():
        try:
            s = socket.create_connection(("127.0.0.1", old_port),
                                         timeout=1)
        except OSError:
            return True
        s.close()
        return False
    closed = wait_until(old_closed, 5)
    detail = ""
    if not closed:
        ok, why = _probe_refused(old_port, 1.0)
        detail = ("5s after the reload, connect() to the old port %d still "
                  "succeeds; a GET /health on it: %s" % (old_port, why))
    t.ok(closed, "the old port stops accepting", detail)


def test_kill9_worker(t):
    # a worker of the current generation (older ones may be exiting)
    gen = A.status()["generation"]
    wait_until(lambda: A.worker_pids() == A.worker_pids(generation=gen), 5)
    before = A.worker_pids(generation=gen)
    victim = before[0]
    with Hammer(A.port) as hm:
        os.kill(victim, signal.SIGKILL)

        def replaced():
            now = A.worker_pids()
            return now if victim not in now and \
                len(now) == len(before) else None
        t0 = time.monotonic()
        now = wait_until(replaced, 3)
        dt = time.monotonic() - t0
        time.sleep(0.2)
    t.ok(now, "a new worker replaces the killed one within 3s (%.2fs)" % dt,
         "before %s now %s" % (before, A.worker_pids()))
    if now:
        new = set(now) - set(before)
        t.eq(len(new), 1, "exactly one new pid")
        t.ok(all(pid_alive(p) and ppid_of(p) == A.pid for p in new),
             "the new worker is alive and a child of the master")
    t.ok(not pid_alive(victim), "the killed pid is gone")
    t.ok(hm.ok > 0 and not hm.fail,
         "requests kept working (%d ok, failures %s)" % (hm.ok,
                                                         hm.fail[:5]))
    t.ok(re.search(r"worker \d+ \(pid %d\) killed by signal 9" % victim,
                   A.log()),
         "the master logs the death", A.log()[-1500:])
    # every worker at once: clients wait in the queue, nobody is refused
    before = A.worker_pids()
    for p in before:
        os.kill(p, signal.SIGKILL)
    t0 = time.monotonic()
    try:
        st, _, _ = request(A, "GET", "/health", timeout=8)
    except Exception as e:
        st = repr(e)
    dt = time.monotonic() - t0
    t.eq(st, 200, "a request right after killing every worker is served "
         "(%.2fs)" % dt)
    now = wait_until(lambda: (lambda p: p if len(p) == len(before) and
                              not set(p) & set(before) else None)(
                                  A.worker_pids()), 5)
    t.ok(now, "all %d workers are replaced" % len(before),
         str(A.worker_pids()))
    t.ok(A.running(), "the master survived")


def test_stop_a(t):
    t0 = time.monotonic()
    rc = A.stop(timeout=15)
    dt = time.monotonic() - t0
    t.eq(rc, 0, "SIGTERM: the daemon exits 0 (%.2fs)" % dt, A.log()[-2000:])
    t.ok(not os.path.exists(A.pid_path), "the PID file is removed")
    t.ok(not os.path.exists(A.ctl_path), "the control socket is removed")
    t.eq(A.leftover_after_stop, [], "no process of the daemon is left")


# ---------------------------------------------------------------------
# graceful stop with a request in flight

def start_slow_request(t, d):
    """A chat request whose body stops after 40 of its 100 bytes, being
    read by a worker: (connection, the whole body)."""
    c = Conn(d.port)
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    body = body + b" " * (100 - len(body))
    c.send(http_req("POST", "/v1/chat/completions",
                    dict(AUTH, **{"Content-Type": "application/json",
                                  "Content-Length": "100"})) + body[:40])
    b = wait_until(lambda: [w for w in d.status()["workers"]
                            if w["state"] == "busy"], 3)
    t.ok(b, "the slow request is being read", str(d.status()))
    return c, body


def finish_slow_request(t, c, body):
    """Send the rest of start_slow_request's body: the answer, or None."""
    try:
        c.send(body[40:])
        return c.recv_response(5)
    except OSError as e:
        t.diag("send/recv: %r" % e)
        return None


def test_sigterm_in_flight(t):
    grace = 5
    with Daemon({"WORKERS": 3, "MAX_WORKERS": 3,
                 "SHUTDOWN_GRACE_SECONDS": grace,
                 "BODY_TIMEOUT_SECONDS": 20,
                 "KEEPALIVE_TIMEOUT_SECONDS": 30}) as d:
        d.wait_idle(3)
        c, body = start_slow_request(t, d)
        # an idle keep-alive connection must not hold up the exit
        ka = Conn(d.port)
        ka.send(http_req("GET", "/health"))
        r0 = ka.recv_response(3)
        t.ok(r0 is not None and r0.status == 200 and
             r0.headers.get("connection") == "keep-alive",
             "a second client holds a keep-alive connection", repr(r0))
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        time.sleep(0.2)
        st = d.status()
        t.eq(st.get("shutting_down"), True, "status says shutting_down")
        # a new client during the grace period: refused or closed at once,
        # not accepted and left hanging
        refused, detail = _probe_refused(d.port, 0.7)
        t.ok(refused, "a new connection during the grace period is "
             "refused or closed at once", detail)
        ka_closed = ka.closed_by_peer(1.0)
        t.ok(ka_closed, "the idle keep-alive connection is closed at "
             "shutdown")
        ka.close()
        time.sleep(max(0, 1.0 - (time.monotonic() - t0)))
        t.ok(d.running(), "the master waits for the request in flight")
        r = finish_slow_request(t, c, body)
        t.ok(r is not None and r.status >= 200,
             "the in-flight request gets its HTTP answer", repr(r))
        t.ok(r is not None and
             dialect_answer(r.status, r.body, "openai", r.headers),
             "that answer comes from the handler (OpenAI shape)",
             repr(r))
        t.ok(r is not None and r.headers.get("connection") == "close",
             "with Connection: close", repr(r))
        c.close()
        rc = d.wait(grace + 2 - (time.monotonic() - t0))
        dt = time.monotonic() - t0
        t.eq(rc, 0, "the daemon exits 0 after the request (%.2fs after "
             "SIGTERM)" % dt, d.log()[-2000:])
        t.ok(dt < grace, "within the grace period of %ds" % grace)
        t.ok(not os.path.exists(d.pid_path), "PID file removed")
        t.ok(not os.path.exists(d.ctl_path), "control socket removed")
        t.eq(d.leftover_pids(), [], "no worker left behind")
        t.ok("grace period over" not in d.log(),
             "nothing had to be killed", d.log()[-1500:])


def test_sigterm_to_process_group(t):
    # timeout(1), "kill -- -PGID" or a service manager killing the whole
    # group send SIGTERM to the workers too: the request in flight still
    # gets its answer, and no worker dies by the signal.
    with Daemon({"WORKERS": 2, "MAX_WORKERS": 2,
                 "SHUTDOWN_GRACE_SECONDS": 5,
                 "BODY_TIMEOUT_SECONDS": 20}) as d:
        d.wait_idle(2)
        c, body = start_slow_request(t, d)
        os.killpg(d.pgid, signal.SIGTERM)
        time.sleep(0.5)
        r = finish_slow_request(t, c, body)
        t.ok(r is not None and dialect_answer(r.status, r.body, "openai",
                                              r.headers),
             "the request in flight gets its answer", repr(r))
        c.close()
        rc = d.wait(8)
        t.eq(rc, 0, "the daemon exits 0", d.log()[-1500:])
        t.ok("killed by signal" not in d.log(),
             "no worker was killed by the signal", d.log()[-1500:])


def _probe_refused(port, timeout):
    """(True, why) when a connection is refused, reset, closed or
    answered with 503 within timeout; (False, why) when it hangs."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return True, "refused"
    except OSError as e:
        return True, repr(e)
    try:
        s.sendall(http_req("GET", "/health"))
        s.settimeout(timeout)
        b = s.recv(4096)
        dt = time.monotonic() - t0
        if not b:
            return True, "closed after %.2fs" % dt
        return b.startswith(b"HTTP/1.1 503"), "answered %r" % b[:100]
    except (ConnectionResetError, BrokenPipeError):
        return True, "reset"
    except socket.timeout:
        return False, ("connection accepted by the kernel, no answer and "
                       "no close within %.1fs" % timeout)
    finally:
        s.close()


def test_grace_expires(t):
    grace = 1
    with Daemon({"WORKERS": 1, "MAX_WORKERS": 1,
                 "SHUTDOWN_GRACE_SECONDS": grace,
                 "BODY_TIMEOUT_SECONDS": 30}) as d:
        c = Conn(d.port)
        c.send(http_req("POST", "/v1/messages",
                        dict(AUTH, **{"Content-Length": "100"})) + b"{")
        wait_until(lambda: [w for w in d.status()["workers"]
                            if w["state"] == "busy"], 3)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait(grace + 4)
        dt = time.monotonic() - t0
        t.eq(rc, 0, "a request that never completes is cut at the end of "
             "SHUTDOWN_GRACE_SECONDS=1 and the daemon exits 0",
             d.log()[-1500:])
        t.ok(rc is not None and grace - 0.2 <= dt <= grace + 2,
             "after about the grace period (%.2fs)" % dt)
        t.ok("grace period over" in d.log(), "the log says the grace period "
             "ran out", d.log()[-1000:])
        t.eq(d.leftover_pids(), [], "the stuck worker was killed")
        t.ok(not os.path.exists(d.pid_path) and
             not os.path.exists(d.ctl_path),
             "PID file and control socket removed")
        t.ok(c.closed_by_peer(2), "the stuck client's connection is closed")
        c.close()


def test_master_crash_recovery(t):
    d = Daemon({"WORKERS": 2, "MAX_WORKERS": 2})
    d2 = None
    try:
        pids = d.worker_pids()
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(5)
        gone = wait_until(lambda: not any(pid_alive(p) for p in pids), 3)
        t.ok(gone, "workers exit by themselves when the master is killed",
             "still alive: %s" % [p for p in pids if pid_alive(p)])
        t.ok(os.path.exists(d.pid_path) and os.path.exists(d.ctl_path),
             "a killed master leaves its PID file and socket behind")
        # a new daemon with the same port, PID file and control socket
        d2 = Daemon(dict(d.config), start=False)
        d2.ctl_path, d2.pid_path = d.ctl_path, d.pid_path
        d2.start(wait=False)
        try:
            d2.wait_healthy(5)
            started = True
        except Exception as e:
            started = False
            t.diag(str(e))
        t.ok(started, "a new daemon starts over the stale PID file and "
             "control socket, on the same port")
        if started:
            t.eq(d2.status()["pid"], d2.pid, "the control socket is the "
                 "new daemon's")
            with open(d2.pid_path) as f:
                t.eq(f.read().strip(), str(d2.pid),
                     "the PID file holds the new pid")
    finally:
        if d2 is not None:
            d2.__exit__(None, None, None)
        d.__exit__(None, None, None)


def test_sigint_and_idle_stop(t):
    with Daemon({"WORKERS": 2, "MAX_WORKERS": 2,
                 "KEEPALIVE_TIMEOUT_SECONDS": 30}) as d:
        st, _, _ = request(d, "GET", "/health")
        t0 = time.monotonic()
        d.signal(signal.SIGINT)
        rc = d.wait(5)
        t.eq(rc, 0, "SIGINT stops the daemon with exit 0 (%.2fs)" %
             (time.monotonic() - t0), d.log()[-1500:])
        t.ok(time.monotonic() - t0 < 2, "an idle daemon stops at once")
        t.ok(not os.path.exists(d.pid_path) and
             not os.path.exists(d.ctl_path),
             "PID file and control socket removed after SIGINT")


# ---------------------------------------------------------------------
# keep-alive fairness

def test_keepalive_fairness_one_worker(t):
    with Daemon({"WORKERS": 1, "MAX_WORKERS": 1,
                 "KEEPALIVE_TIMEOUT_SECONDS": 30}) as d:
        d.wait_idle(1)
        a = Conn(d.port)
        a.send(http_req("GET", "/health", {"Connection": "keep-alive"}))
        ra = a.recv_response(3)
        t.ok(ra is not None and ra.status == 200, "client A is answered",
             repr(ra))
        t.ok(ra is not None and ra.headers.get("connection") == "close",
             "with no idle worker left, A's answer says Connection: close",
             repr(ra))
        # A keeps its socket open and idle; B must not starve
        t0 = time.monotonic()
        try:
            st, hd, b = request(d, "GET", "/health", timeout=5)
        except Exception as e:
            st = repr(e)
        dt = time.monotonic() - t0
        t.eq(st, 200, "client B is answered while A holds its connection")
        t.ok(dt < 1.0, "B waited %.2fs (< 1s, KEEPALIVE_TIMEOUT is 30s)" %
             dt)
        # A's keep-alive is not honored: a later request needs a new
        # connection
        t.ok(a.closed_by_peer(1), "the server closed A's connection")
        a.close()
        # several clients taking turns on one worker
        done = []

        def client(i):
            try:
                with Conn(d.port) as c:
                    for k in range(3):
                        c.send(http_req("GET", "/health"))
                        r = c.recv_response(5)
                        if r is None:
                            break
                        done.append(i)
                        if r.headers.get("connection") == "close":
                            break
            except OSError:
                pass
        ths = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        t0 = time.monotonic()
        for th in ths:
            th.start()
        for th in ths:
            th.join(10)
        t.eq(sorted(set(done)), list(range(8)),
             "8 concurrent keep-alive clients on 1 worker are all served "
             "(%.2fs)" % (time.monotonic() - t0))


@contextlib.contextmanager
def two_workers_one_kept(t, max_workers):
    """A daemon with WORKERS=2 and a client A whose first answer kept its
    connection alive (the other worker was idle): (daemon, A)."""
    with Daemon({"WORKERS": 2, "MAX_WORKERS": max_workers,
                 "KEEPALIVE_TIMEOUT_SECONDS": 30,
                 "HEADER_TIMEOUT_SECONDS": 20}) as d:
        d.wait_idle(2)
        a = Conn(d.port)
        a.send(http_req("GET", "/health"))
        ra = a.recv_response(3)
        t.ok(ra is not None and ra.headers.get("connection") == "keep-alive",
             "with another worker idle, A gets keep-alive", repr(ra))
        yield d, a


def test_keepalive_fairness_yield(t):
    # WORKERS=2: A holds an idle keep-alive connection on one worker, a
    # slow client occupies the other; a third client must be served by
    # the worker that gives A's connection up.
    with two_workers_one_kept(t, 2) as (d, a):
        ka = wait_until(lambda: [w for w in d.status()["workers"]
                                 if w["state"] == "keepalive"], 2)
        t.ok(ka, "one worker waits on A's connection (state keepalive)",
             str(d.status()["workers"]))
        slow = Conn(d.port)
        slow.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        rd = wait_until(lambda: [w for w in d.status()["workers"]
                                 if w["state"] == "reading"], 2)
        t.ok(rd, "the other worker reads the slow client",
             str(d.status()["workers"]))
        t0 = time.monotonic()
        try:
            st, hd, b = request(d, "GET", "/health", timeout=5)
        except Exception as e:
            st = repr(e)
        dt = time.monotonic() - t0
        t.eq(st, 200, "client B is served")
        t.ok(dt < 1.0, "within 1s (%.2fs; KEEPALIVE_TIMEOUT is 30s)" % dt)
        t.ok(a.closed_by_peer(1), "A's idle connection was given up for B")
        a.close()
        # stopping with the slow client still connected and a fresh
        # keep-alive connection open
        slow.send(b"\r\n")
        rs = slow.recv_response(3)
        t.ok(rs is not None and rs.status == 200, "the slow client is "
             "answered once its head is complete", repr(rs))
        t0 = time.monotonic()
        rc = d.stop(10)
        t.eq(rc, 0, "the daemon stops with exit 0")
        t.ok(time.monotonic() - t0 < 3,
             "an idle keep-alive connection does not delay the stop "
             "(%.2fs)" % (time.monotonic() - t0))
        slow.close()


# ---------------------------------------------------------------------
# adaptive pool

def test_adaptive_growth(t):
    with Daemon({"WORKERS": 1, "MAX_WORKERS": 4,
                 "HEADER_TIMEOUT_SECONDS": 20,
                 "KEEPALIVE_TIMEOUT_SECONDS": 2}) as d:
        t.eq(len(d.status()["workers"]), 1, "starts with WORKERS=1")
        held = []
        for i in range(3):
            c = Conn(d.port)
            c.send(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Hold: ")
            held.append(c)
        t0 = time.monotonic()
        grown = wait_until(lambda: len(d.status()["workers"]) > 1, 4)
        t.ok(grown, "the pool grows beyond 1 worker within 4s (%.2fs)" %
             (time.monotonic() - t0), str(d.status()["workers"]))
        busy3 = wait_until(lambda: len([w for w in d.status()["workers"]
                                        if w["state"] == "reading"]) >= 3,
                           6)
        t.ok(busy3, "all 3 held connections get a worker",
             str(d.status()["workers"]))
        n = len(d.status()["workers"])
        t.ok(n <= 4, "never more than MAX_WORKERS=4 (%d)" % n)
        # a 4th client is served meanwhile
        try:
            st, _, _ = request(d, "GET", "/health", timeout=6)
        except Exception as e:
            st = repr(e)
        t.eq(st, 200, "a 4th client is served while 3 are held")
        # release them: all answered
        for c in held:
            c.send(b"1\r\n\r\n")
        rs = [c.recv_response(5) for c in held]
        t.ok(all(r is not None and r.status == 200 for r in rs),
             "the 3 held requests are answered once complete",
             str([r.status if r else None for r in rs]))
        for c in held:
            c.close()
        t.ok(len(d.status()["workers"]) > 1,
             "the pool does not shrink at once")
        t0 = time.monotonic()
        shrunk = wait_until(lambda: len(d.status()["workers"]) == 1, 20,
                            interval=0.5)
        dt = time.monotonic() - t0
        t.ok(shrunk, "the pool shrinks back to WORKERS=1 after being idle "
             "(%.1fs)" % dt, str(d.status()["workers"]))
        t.ok(dt >= 5, "but only after a while (%.1fs, ~10s expected)" % dt)
        st, _, _ = request(d, "GET", "/health")
        t.eq(st, 200, "serving after shrinking")
        t.ok("killed by signal" not in d.log() and
             "exited with status" not in d.log(),
             "no worker died unexpectedly while the pool changed size",
             d.log()[-1500:])


def test_pool_cpu_bound_does_not_grow(t):
    # Three clients send short requests back to back: the one worker is
    # never idle, but the accept queue drains within milliseconds, so
    # more processes would only compete for the CPU: the pool stays.
    with Daemon({"WORKERS": 1, "MAX_WORKERS": 6}) as d:
        d.wait_idle(1)
        stop = time.monotonic() + 3.5
        codes, sizes = [], []

        def client():
            while time.monotonic() < stop:
                try:
                    st, _, _ = request(d, "GET", "/health", timeout=5)
                except Exception as e:
                    st = repr(e)
                codes.append(st)
        ths = [threading.Thread(target=client) for _ in range(3)]
        for th in ths:
            th.start()
        while time.monotonic() < stop:
            sizes.append(len(d.status()["workers"]))
            time.sleep(0.25)
        for th in ths:
            th.join(10)
        bad = [c for c in codes if c != 200]
        t.ok(len(codes) > 100 and not bad, "%d back-to-back requests "
             "from 3 clients are served (%d failed)" % (len(codes),
                                                         len(bad)),
             str(bad[:5]))
        t.eq(max(sizes), 1, "the pool stays at WORKERS=1: its queue "
             "drains fast (sizes seen %s)" % sorted(set(sizes)))


def test_pool_grows_for_held_keepalive(t):
    # One worker holds an idle keep-alive connection, the other reads a
    # slow client: nobody waits in the queue, but a new client could get
    # a worker only by cutting a connection off, so the pool grows.
    with two_workers_one_kept(t, 4) as (d, a):
        slow = Conn(d.port)
        slow.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        grown = wait_until(lambda: len(d.status()["workers"]) > 2, 5)
        t.ok(grown, "the pool grows beyond WORKERS=2 (%.1fs)" %
             (time.monotonic() - t0), str(d.status()["workers"]))
        slow.send(b"\r\n")
        rs = slow.recv_response(3)
        t.ok(rs is not None and rs.status == 200, "the slow client is "
             "answered", repr(rs))
        a.close()
        slow.close()


def test_access_log_lines(t):
    # A busy worker writes its access lines several at a time: none may
    # be lost, an idle daemon's line comes at once, and the lines still
    # held at a stop are written.
    with Daemon({"WORKERS": 2, "MAX_WORKERS": 2}) as d:
        d.wait_idle(2)

        def count():
            return len(re.findall(r'"GET /health" 200 ', d.log())) - base
        time.sleep(0.2)
        base = 0
        base = count()
        st, _, _ = request(d, "GET", "/health")
        t0 = time.monotonic()
        seen = wait_until(lambda: count() == 1, 2, interval=0.02)
        t.ok(seen and st == 200, "an idle daemon logs a request at once "
             "(%.2fs)" % (time.monotonic() - t0))
        n = [0]

        def client(k):
            with Conn(d.port) as c:
                for i in range(50):
                    c.send(http_req("GET", "/health"))
                    r = c.recv_response(5)
                    if r is None or r.status != 200:
                        return
                    n[0] += 1
                    if r.headers.get("connection") == "close":
                        c.close()
                        c.__init__(d.port)
        ths = [threading.Thread(target=client, args=(k,))
               for k in range(1, 5)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(20)
        t.eq(n[0], 200, "200 requests from 4 clients are answered")
        rc = d.stop(10)
        t.eq(rc, 0, "the daemon stops")
        t.eq(count(), 201, "every request has its access line after the "
             "stop")


def test_max_requests_per_worker(t):
    with Daemon({"WORKERS": 1, "MAX_WORKERS": 1,
                 "MAX_REQUESTS_PER_WORKER": 5}) as d:
        first = d.worker_pids()
        res = []
        with Conn(d.port) as c:
            # keep-alive is cut at the limit
            for i in range(6):
                try:
                    c.send(http_req("GET", "/health"))
                except OSError:
                    break
                r = c.recv_response(3)
                if r is None:
                    break
                res.append(r.headers.get("connection"))
        t.ok(res and res[-1] == "close" and len(res) <= 5,
             "the answer to the worker's last request says close",
             str(res))
        codes = []
        for i in range(12):
            try:
                st, _, _ = request(d, "GET", "/health", timeout=5)
            except Exception as e:
                st = repr(e)
            codes.append(st)
        t.eq(codes, [200] * 12, "12 more requests all succeed while "
             "workers recycle")
        now = wait_until(lambda: (lambda p: p if p and p != first else
                                  None)(d.worker_pids()), 3)
        t.ok(now, "the worker was replaced (%s -> %s)" %
             (first, d.worker_pids()))
        t.ok(not any(pid_alive(p) for p in first),
             "the recycled worker exited")
        t.ok("killed by signal" not in d.log() and
             "respawning in" not in d.log(),
             "recycling is not treated as a crash", d.log()[-1500:])


def start():
    global A
    A = Daemon(A_CONF)
    return A


if __name__ == "__main__":
    main([test_status_text, test_status_json, test_ctl_errors,
          test_second_instance_refused, test_reload_good,
          test_reload_broken, test_reload_in_flight, test_sighup,
          test_reload_stress, test_reload_new_port, test_kill9_worker,
          test_stop_a, test_sigterm_in_flight,
          test_sigterm_to_process_group, test_grace_expires,
          test_master_crash_recovery, test_sigint_and_idle_stop,
          test_keepalive_fairness_one_worker,
          test_keepalive_fairness_yield, test_adaptive_growth,
          test_pool_cpu_bound_does_not_grow,
          test_pool_grows_for_held_keepalive,
          test_access_log_lines, test_max_requests_per_worker],
         start=start)
