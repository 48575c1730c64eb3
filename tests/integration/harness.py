"""
harness.py: shared pieces of aiclientd's integration tests.

Python 3 standard library only.  Every test script imports this module,
starts one or more Daemon objects (each in its own temporary directory,
on a free loopback port, from a minimal environment) and reports TAP
through Tap.  Nothing a test starts outlives it: daemons are killed when
their `with` block ends, at interpreter exit, and on SIGTERM/SIGINT.

Binaries: $AICLIENTD and $AICLIENTCTL, else ../../aiclientd and
../../aiclientctl relative to the current directory (the build tree's
tests/integration), else relative to this file.
"""

import atexit
import http.client
import json as _json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

API_KEY = "test-key-0123456789"

UNAUTH_MSG = "Unauthorized: API key is invalid or missing."

def _find_binary(envname, name):
    v = os.environ.get(envname)
    if v:
        return os.path.abspath(v)
    for base in (os.getcwd(), HERE):
        p = os.path.abspath(os.path.join(base, "..", "..", name))
        if os.path.exists(p):
            return p
    return os.path.abspath(os.path.join(os.getcwd(), "..", "..", name))


AICLIENTD = _find_binary("AICLIENTD", "aiclientd")
AICLIENTCTL = _find_binary("AICLIENTCTL", "aiclientctl")


_HOME = None


def empty_home():
    """An empty HOME for the daemons, so that no provider credentials
    of the user running the tests (~/.aws, ~/.gemini, ...) are found."""
    global _HOME
    if _HOME is None:
        _HOME = tempfile.mkdtemp(prefix="aiclientd-it-home-")
        atexit.register(shutil.rmtree, _HOME, True)
    return _HOME


def minimal_env(extra=None):
    """PATH and an empty HOME only (plus extra): no configuration key and
    no credential of the user leaks in."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": empty_home(),
           "LC_ALL": "C"}
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
    return env


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def yaml_value(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, dict)):
        return _json.dumps(v)      # flow style: JSON is valid YAML
    return _json.dumps(str(v))


def write_yaml(path, config):
    with open(path, "w") as f:
        for k, v in config.items():
            f.write("%s: %s\n" % (k, yaml_value(v)))


def run(argv, env=None, timeout=30, cwd=None):
    """Run a command: (rc, stdout text, stderr text)."""
    p = subprocess.run(argv, env=env if env is not None else minimal_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, cwd=cwd)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------------
# process bookkeeping

def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    state = st[st.rindex(")") + 2:].split()[0]
    return state not in ("Z", "X")


def group_pids(pgid):
    """Live processes of a process group (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and \
                fields[0] not in ("Z", "X"):
            out.append(int(d))
    return out


_live = []          # Daemon objects to kill at exit
_live_lock = threading.Lock()


def _kill_all():
    with _live_lock:
        ds = list(_live)
    for d in ds:
        try:
            d.kill()
        except Exception:
            pass


atexit.register(_kill_all)


def _on_signal(sig, frame):
    _kill_all()
    sys.exit(128 + sig)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_s, _on_signal)
    except (ValueError, OSError):
        pass


class DaemonError(Exception):
    pass


class Daemon:
    """
    One aiclientd in the foreground, in its own temporary directory and
    process group.  config: keys written to config.yaml over the
    defaults (a None value leaves the key out); env: extra environment
    (on top of PATH and an empty HOME); args: extra command-line
    arguments.  A free port is picked unless config has SERVER_PORT; if
    another process takes it first, the start is retried on a new one.
    """

    def __init__(self, config=None, env=None, args=None, start=True,
                 wait=True, config_name="config.yaml", api_key=API_KEY):
        self.dir = tempfile.mkdtemp(prefix="aiclientd-it-")
        self.ctl_path = os.path.join(self.dir, "control.sock")
        self.pid_path = os.path.join(self.dir, "aiclientd.pid")
        self.state_dir = os.path.join(self.dir, "state")
        self.cfg_path = os.path.join(self.dir, config_name)
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.extra_env = env or {}
        self.args = list(args or [])
        self.api_key = api_key
        self.proc = None
        self.pgid = None
        self.port = free_port()
        self._auto_port = "SERVER_PORT" not in (config or {})
        base = {
            "REQUIRED_API_KEY": api_key,
            "SERVER_PORT": self.port,
            "HOST": "127.0.0.1",
            "CONTROL_SOCKET": self.ctl_path,
            "PID_FILE": self.pid_path,
            "STATE_DIR": self.state_dir,
            "WORKERS": 2,
            "MODEL_PROVIDER": "claude-kiro-oauth",
            "LOG_LEVEL": "info",
        }
        base.update(config or {})
        self.config = {k: v for k, v in base.items() if v is not None}
        if "SERVER_PORT" in self.config:
            self.port = int(self.config["SERVER_PORT"])
        self.write_config()
        if start:
            self.start(wait=wait)

    # -- configuration ----------------------------------------------
    def write_config(self, config=None, text=None):
        """Rewrite config.yaml from a dict (merged over the current one)
        or as raw text."""
        if text is not None:
            with open(self.cfg_path, "w") as f:
                f.write(text)
            return
        if config is not None:
            self.config.update(config)
            self.config = {k: v for k, v in self.config.items()
                           if v is not None}
        write_yaml(self.cfg_path, self.config)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    # -- process ----------------------------------------------------
    def start(self, wait=True, timeout=10):
        for attempt in range(3):
            self._spawn()
            if not wait:
                return self
            try:
                self.wait_healthy(timeout)
                return self
            except DaemonError:
                lost_port = self._auto_port and not self.running() and \
                    "in use" in self.log()
                if not lost_port or attempt == 2:
                    raise
                self._cleanup()
                self.port = free_port()
                self.write_config({"SERVER_PORT": self.port})
        return self

    def _spawn(self):
        self._logf = open(self.log_path, "ab")
        argv = [AICLIENTD, "-f", self.cfg_path, "-d"] + self.args
        self.proc = subprocess.Popen(
            argv, env=minimal_env(dict({"HOME": self.dir}, **self.extra_env)),
            stdin=subprocess.DEVNULL,
            stdout=self._logf, stderr=self._logf, cwd=self.dir,
            start_new_session=True)
        self.pgid = self.proc.pid
        with _live_lock:
            _live.append(self)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout=10, port=None):
        deadline = time.monotonic() + timeout
        port = port or self.port
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonError("aiclientd exited with status %s before "
                                  "answering /health; log:\n%s" %
                                  (self.proc.returncode, self.log()))
            try:
                st, _, _ = request(port, "GET", "/health", timeout=2)
                if st == 200:
                    return
                last = "status %d" % st
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise DaemonError("aiclientd did not answer /health within %ss "
                          "(%s); log:\n%s" % (timeout, last, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def ctl(self, *args, json=False, timeout=30):
        argv = [AICLIENTCTL, "-s", self.ctl_path]
        if json:
            argv.append("--json")
        argv += [str(a) for a in args]
        return run(argv, timeout=timeout)

    def status(self):
        rc, out, err = self.ctl("status", json=True)
        if rc != 0:
            raise DaemonError("aiclientctl status failed (%d): %s %s" %
                              (rc, out, err))
        return _json.loads(out)

    def wait_idle(self, count=None, timeout=5):
        """Wait until every worker is idle (and there are count of
        them); the last status either way."""
        last = [None]

        def check():
            st = last[0] = self.status()
            ws = st["workers"]
            return ws and all(w["state"] == "idle" for w in ws) and \
                (count is None or len(ws) == count)
        wait_until(check, timeout)
        return last[0]

    def worker_pids(self, generation=None):
        st = self.status()
        return sorted(w["pid"] for w in st["workers"]
                      if generation is None or w["generation"] == generation)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """Wait for the master to exit: its status, or None on timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=15):
        """SIGTERM; wait up to timeout; SIGKILL and fail if it hangs.
        Returns the exit status."""
        if not self.running():
            self._cleanup()
            return self.proc.returncode if self.proc else None
        self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        self.leftover_after_stop = group_pids(self.pgid)
        if rc is None:
            self.kill()
            raise DaemonError("aiclientd did not exit within %ss of "
                              "SIGTERM; killed.  log:\n%s" %
                              (timeout, self.log()))
        self._cleanup()
        return rc

    def kill(self):
        """SIGKILL the daemon's whole process group, now."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._cleanup()

    def _cleanup(self):
        # workers left behind by a master that exited (by pid, never by
        # name): the group id is ours as long as members remain
        if self.pgid is not None:
            for p in group_pids(self.pgid):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        with _live_lock:
            if self in _live:
                _live.remove(self)
        try:
            self._logf.close()
        except Exception:
            pass

    def leftover_pids(self):
        return group_pids(self.pgid) if self.pgid else []

    def remove_dir(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.running():
            try:
                self.signal(signal.SIGTERM)
                if self.wait(5) is None:
                    self.kill()
            except OSError:
                pass
        self.kill()
        ok = exc[0] is None or (exc[0] is SystemExit and
                                exc[1].code in (0, None))
        if not ok:
            tail = self.log().splitlines()[-25:]
            print("# last lines of the aiclientd log (%s):" % self.log_path)
            for ln in tail:
                print("#   " + ln)
        if os.environ.get("KEEP_TMP") is None:
            self.remove_dir()
        else:
            print("# aiclientd files kept in %s" % self.dir)
        sys.stdout.flush()
        return False


# ---------------------------------------------------------------------
# HTTP helpers

def _port_of(target):
    return target.port if isinstance(target, Daemon) else int(target)


def auth_headers(key=API_KEY):
    return {"Authorization": "Bearer " + key}


def request(target, method, path, headers=None, body=None, timeout=10):
    """One request on a fresh connection: (status, headers, body) with
    header names in lower case."""
    conn = http.client.HTTPConnection("127.0.0.1", _port_of(target),
                                      timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return r.status, hdrs, data
    finally:
        conn.close()


def jbody(body):
    """Parsed JSON, or None."""
    try:
        return _json.loads(body)
    except (ValueError, TypeError):
        return None


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def raw(port, data, read_timeout=5, shut_wr=False):
    """Send hand-made bytes on a new connection and read until the
    server closes or read_timeout passes without the end."""
    s = connect(port)
    try:
        if data:
            s.sendall(data)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
        return read_all(s, read_timeout)
    finally:
        s.close()


def read_all(s, timeout=5):
    """Read until EOF, a reset, or timeout seconds in total."""
    out = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    return out


class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers      # lower-case names
        self.body = body
        self.raw_head = raw_head

    def json(self):
        return jbody(self.body)

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers,
                                         self.body[:200])


class ParseError(Exception):
    pass


def parse_one(data, head_only_ok=False, method="GET"):
    """
    Parse one response at the start of data.  Returns (Response, rest)
    or (None, data) when data does not hold a whole response yet.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None, data
    head = data[:end].decode("latin-1")
    rest = data[end + 4:]
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ParseError("bad status line %r" % lines[0])
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    hdrs = {}
    for ln in lines[1:]:
        if ":" not in ln:
            raise ParseError("bad header line %r" % ln)
        k, v = ln.split(":", 1)
        k = k.strip().lower()
        v = v.strip()
        hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
    if status < 200 or status in (204, 304) or method == "HEAD":
        return Response(parts[0], status, reason, hdrs, b"", head), rest
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        body = b""
        pos = 0
        while True:
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                return None, data
            size = int(rest[pos:nl].split(b";")[0].strip(), 16)
            if size == 0:
                after = nl + 2
                if len(rest) < after + 2:
                    return None, data
                if rest[after:after + 2] == b"\r\n":
                    return Response(parts[0], status, reason, hdrs, body,
                                    head), rest[after + 2:]
                term = rest.find(b"\r\n\r\n", after)
                if term < 0:
                    return None, data
                return Response(parts[0], status, reason, hdrs, body,
                                head), rest[term + 4:]
            if len(rest) < nl + 2 + size + 2:
                return None, data
            body += rest[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
    if "content-length" in hdrs:
        n = int(hdrs["content-length"])
        if len(rest) < n:
            return None, data
        return Response(parts[0], status, reason, hdrs, rest[:n], head), \
            rest[n:]
    # delimited by close
    return Response(parts[0], status, reason, hdrs, rest, head), b""


def parse_all(data):
    """Every complete response in a byte stream."""
    out = []
    while data:
        r, rest = parse_one(data)
        if r is None:
            break
        out.append(r)
        if rest is data:
            break
        data = rest
    return out


class Conn:
    """A raw client connection that reads responses one at a time."""

    def __init__(self, port, timeout=10):
        self.sock = connect(port, timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_response(self, timeout=10, method="GET"):
        """The next response; None when the connection ends first or
        the time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            r, rest = parse_one(self.buf, method=method)
            if r is not None and (r.status < 200 or "content-length" in
                                  r.headers or "transfer-encoding" in
                                  r.headers or r.status in (204, 304) or
                                  self.eof):
                self.buf = rest
                return r
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                self.eof = True
                continue
            if not b:
                self.eof = True
            self.buf += b

    def closed_by_peer(self, timeout=3):
        """True when the server closes (EOF or reset) within timeout
        and sends nothing more."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                self.eof = True
                break
            if not b:
                self.eof = True
            self.buf += b
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def http_req(method, path, headers=None, body=b"", version="HTTP/1.1",
             host=True):
    """Bytes of one request.  headers: list of (name, value) or dict."""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if host and "host" not in names:
        headers.insert(0, ("Host", "127.0.0.1"))
    if body and "content-length" not in names and \
            "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    out = "%s %s %s\r\n" % (method, path, version)
    for k, v in headers:
        out += "%s: %s\r\n" % (k, v)
    return out.encode("latin-1") + b"\r\n" + body


# ---------------------------------------------------------------------
# dialect error shapes

def is_openai_error(body):
    j = jbody(body) if not isinstance(body, dict) else body
    if not isinstance(j, dict) or set(j) != {"error"}:
        return False
    e = j["error"]
    return isinstance(e, dict) and isinstance(e.get("message"), str) and \
        isinstance(e.get("type"), str) and "param" in e and "code" in e


def is_claude_error(body):
    j = jbody(body) if not isinstance(body, dict) else body
    if not isinstance(j, dict) or j.get("type") != "error":
        return False
    e = j.get("error")
    return isinstance(e, dict) and isinstance(e.get("type"), str) and \
        isinstance(e.get("message"), str)


def is_gemini_error(body):
    j = jbody(body) if not isinstance(body, dict) else body
    if not isinstance(j, dict) or set(j) != {"error"}:
        return False
    e = j["error"]
    return isinstance(e, dict) and isinstance(e.get("code"), int) and \
        isinstance(e.get("message"), str) and \
        isinstance(e.get("status"), str)


DIALECT_CHECK = {"openai": is_openai_error, "claude": is_claude_error,
                 "gemini": is_gemini_error}


def auth_refused(status, body):
    """The client-key refusal (not an upstream's 401)."""
    return status == 401 and UNAUTH_MSG.encode() in (body or b"")


def dialect_answer(status, body, dialect, headers=None):
    """
    A well-formed answer of an API route: a 2xx with a JSON (or event
    stream) body, or an error >= 400 in the route's dialect.  Routes
    answer 501 until their provider is built in; later they may answer
    for real, so tests accept either.
    """
    if 200 <= status < 300:
        ct = (headers or {}).get("content-type", "")
        return jbody(body) is not None or "event-stream" in ct
    if status >= 400:
        return DIALECT_CHECK[dialect](body)
    return False


def wait_until(fn, timeout, interval=0.05):
    """Poll fn() until it returns something true; that value, or the
    last value at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------
# TAP

class Tap:
    """
    t = Tap(); t.ok(cond, name, diag); t.eq(a, b, name); t.done().
    t.run(fn, ...) calls fn(t, ...) and turns an exception into a
    "not ok" with the traceback as comments; the next test still runs.
    """

    def __init__(self):
        self.n = 0
        self.failed = []
        self.lock = threading.Lock()
        self.t0 = time.monotonic()

    @staticmethod
    def _text(x):
        if isinstance(x, (bytes, bytearray)):
            x = bytes(x).decode("utf-8", "replace")
        x = str(x)
        return x if len(x) <= 4000 else x[:4000] + "...(cut)"

    def _emit(self, ok, name, diag=""):
        diag = self._text(diag) if diag else ""
        with self.lock:
            self.n += 1
            name = name.replace("#", "\\#").replace("\n", " ")
            print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
            if not ok:
                self.failed.append((self.n, name))
                if diag:
                    self.diag(diag)
            sys.stdout.flush()
        return ok

    def ok(self, cond, name, diag=""):
        return self._emit(bool(cond), name, diag)

    def eq(self, a, b, name, diag=""):
        d = "got:      %r\nexpected: %r" % (a, b)
        if diag:
            d += "\n" + self._text(diag)
        return self._emit(a == b, name, d)

    def diag(self, msg):
        for ln in self._text(msg).splitlines() or [""]:
            print("# " + ln)
        sys.stdout.flush()

    def run(self, fn, *args, **kw):
        name = fn.__name__
        self.diag("--- %s" % name)
        t0 = time.monotonic()
        try:
            fn(self, *args, **kw)
        except Exception:
            self._emit(False, "%s: raised an exception" % name,
                       traceback.format_exc())
        self.diag("    %s took %.1fs" % (name, time.monotonic() - t0))

    def done(self):
        print("1..%d" % self.n)
        if self.failed:
            self.diag("failed %d of %d: %s" % (
                len(self.failed), self.n,
                ", ".join(str(i) for i, _ in self.failed)))
        self.diag("total %.1fs" % (time.monotonic() - self.t0))
        sys.stdout.flush()
        _kill_all()
        sys.exit(1 if self.failed else 0)


def main(tests, start=None):
    """
    Run test functions fn(t) in order and exit with the TAP result.
    start: optional callable that starts the daemon the tests share and
    returns it; it is stopped (and killed if need be) at the end.
    """
    t = Tap()
    if not os.path.exists(AICLIENTD) or not os.path.exists(AICLIENTCTL):
        print("1..0 # SKIP aiclientd or aiclientctl not found (%s, %s); "
              "set AICLIENTD and AICLIENTCTL" % (AICLIENTD, AICLIENTCTL))
        sys.exit(0)
    d = None
    if start is not None:
        try:
            d = start()
        except Exception:
            t._emit(False, "start the daemon shared by these tests",
                    traceback.format_exc())
            t.done()
    only = os.environ.get("ONLY")
    try:
        for fn in tests:
            if only and only not in fn.__name__:
                continue
            t.run(fn)
    finally:
        if d is not None:
            d.__exit__(None, None, None) if not t.failed else \
                d.__exit__(RuntimeError, RuntimeError("failed"), None)
    t.done()
