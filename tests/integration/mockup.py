"""
mockup.py: start and drive tests/mock/mockup, the mock Kiro upstream
(token endpoints included), from an integration test.

    with Mock(tokens=["tok-1"], refresh_tokens=["ref-1"]) as m:
        m.url("/generateAssistantResponse"); m.stats(); m.requests()
        m.config(refresh_status=400); m.reset()

The binary: $MOCKUP, else tests/mock/mockup of the build tree (next to
the aiclientd under test).
"""

import atexit
import json
import os
import signal
import subprocess
import time
import urllib.request

import harness


def _find():
    v = os.environ.get("MOCKUP")
    if v:
        return os.path.abspath(v)
    base = os.path.dirname(harness.AICLIENTD)
    return os.path.join(base, "tests", "mock", "mockup")


MOCKUP = _find()
_live = []


def _kill_all():
    for m in list(_live):
        m.stop()


atexit.register(_kill_all)


def available():
    return os.path.exists(MOCKUP)


class Mock:
    def __init__(self, tokens=(), refresh_tokens=(), args=(), quiet=True):
        argv = [MOCKUP, "-p", "0", "-w", "1"]
        for t in tokens:
            argv += ["--token", t]
        for r in refresh_tokens:
            argv += ["--refresh-token", r]
        if quiet:
            argv.append("--quiet")
        argv += list(args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("mockup did not start: %r" % line)
        self.port = int(line.split()[1])
        _live.append(self)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def kiro_config(self):
        """The daemon keys that point Kiro at this mock."""
        return {
            "KIRO_BASE_URL": self.url("/generateAssistantResponse"),
            "KIRO_REFRESH_URL": self.url("/refreshToken"),
            "KIRO_REFRESH_IDC_URL": self.url("/token"),
        }

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode() or "null")

    def stats(self):
        return self._call("GET", "/_mock/stats")

    def requests(self):
        return self._call("GET", "/_mock/requests")

    def reset(self):
        return self._call("POST", "/_mock/reset", {})

    def config(self, **kw):
        return self._call("POST", "/_mock/config", kw)

    def stop(self):
        if self in _live:
            _live.remove(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
