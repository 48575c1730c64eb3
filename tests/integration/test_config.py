#!/usr/bin/env python3
"""
test_config.py: configuration loading (aiclientd -t), the layers
file < environment < command line, -V and -h.
"""

import json
import os
import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AICLIENTD, API_KEY, Daemon, auth_refused,  # noqa: E402
                     dialect_answer, free_port, main, minimal_env, request,
                     run)

TMP = tempfile.mkdtemp(prefix="aiclientd-it-conf-")


def cfgfile(name, text):
    p = os.path.join(TMP, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def check(path, env=None, extra=None):
    """aiclientd -t -f path: (rc, stdout, stderr)."""
    return run([AICLIENTD, "-t", "-f", path] + list(extra or []),
               env=minimal_env(env))


def line_of(err, path):
    """The line number the first "path:N:" in err names, or None."""
    m = re.search(re.escape(os.path.basename(path)) + r":(\d+):", err)
    return int(m.group(1)) if m else None


def test_good_yaml(t):
    p = cfgfile("good.yaml",
                'REQUIRED_API_KEY: "k1"\n'
                "# a comment\n"
                "SERVER_PORT: 3000\n"
                'HOST: "127.0.0.1"\n'
                "MODEL_PROVIDER: claude-kiro-oauth\n"
                "WORKERS: 2\n"
                "MAX_WORKERS: 8\n"
                "LOG_LEVEL: debug\n")
    rc, out, err = check(p)
    t.eq(rc, 0, "-t accepts a good YAML file", err)
    t.ok("successful" in err, "-t says the test is successful", err)
    t.ok("error" not in err, "-t prints no error for a good file", err)


def test_good_json_ref_style(t):
    ref = {
        "REQUIRED_API_KEY": "123456",
        "SERVER_PORT": 3000,
        "HOST": "127.0.0.1",
        "MODEL_PROVIDER": "gemini-cli-oauth",
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "CLAUDE_API_KEY": None,
        "CLAUDE_BASE_URL": None,
        "PROJECT_ID": None,
        "PROMPT_LOG_MODE": "none",
        "GEMINI_OAUTH_CREDS_BASE64": None,
        "GEMINI_OAUTH_CREDS_FILE_PATH": None,
        "KIRO_OAUTH_CREDS_BASE64": None,
        "KIRO_OAUTH_CREDS_FILE_PATH": None,
        "QWEN_OAUTH_CREDS_FILE_PATH": None,
        "SYSTEM_PROMPT_FILE_PATH": "input_system_prompt.txt",
        "SYSTEM_PROMPT_MODE": "overwrite",
        "PROMPT_LOG_BASE_NAME": "prompt_log",
        "REQUEST_MAX_RETRIES": 3,
        "REQUEST_BASE_DELAY": 1000,
        "CRON_NEAR_MINUTES": 15,
        "CRON_REFRESH_TOKEN": True,
        "PROVIDER_POOLS_FILE_PATH": None,
        "SOMETHING_NEW_UNKNOWN": 1,
        "ANOTHER_UNKNOWN_KEY": "x",
    }
    text = json.dumps(ref, indent=2) + "\n"
    p = cfgfile("config.json", text)
    rc, out, err = check(p)
    t.eq(rc, 0, "-t accepts a reference-style config.json with unknown "
         "keys", err)
    t.ok("warning" in err and "SOMETHING_NEW_UNKNOWN" in err and
         "ANOTHER_UNKNOWN_KEY" in err,
         "unknown JSON keys are reported as warnings", err)
    want = text.splitlines().index('  "SOMETHING_NEW_UNKNOWN": 1,') + 1
    t.eq(_line_for_key(err, p, "SOMETHING_NEW_UNKNOWN"), want,
         "the unknown-key warning names file:line", err)
    t.ok("successful" in err, "-t says the JSON test is successful", err)


def _line_for_key(err, path, key):
    for ln in err.splitlines():
        if key in ln:
            return line_of(ln, path)
    return None


def test_bad_yaml(t):
    p = cfgfile("bad.yaml",
                'REQUIRED_API_KEY: "k"\n'
                'HOST: "127.0.0.1"\n'
                "SERVER_PORT: 3000: 4\n"
                "WORKERS: 2\n")
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses a YAML syntax error with exit 1", err)
    t.eq(line_of(err, p), 3, "the YAML error names file:3", err)
    t.ok("YAML" in err or "yaml" in err, "the YAML error says it is a "
         "syntax problem", err)

    p2 = cfgfile("bad2.yaml",
                 'REQUIRED_API_KEY: "k"\n'
                 "HOST: [a, b\n"
                 "SERVER_PORT: 1\n")
    rc, out, err = check(p2)
    t.eq(rc, 1, "-t refuses an unterminated YAML flow sequence", err)
    t.ok(line_of(err, p2) is not None, "that error names file:LINE", err)


def test_bad_json(t):
    p = cfgfile("bad.json",
                "{\n"
                '  "REQUIRED_API_KEY": "x",\n'
                '  "SERVER_PORT": 30 00\n'
                "}\n")
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses a JSON syntax error with exit 1", err)
    t.eq(line_of(err, p), 3, "the JSON error names file:3", err)
    t.ok("JSON" in err, "the JSON error says it is JSON", err)

    p2 = cfgfile("bad2.json",
                 "{\n"
                 '  "REQUIRED_API_KEY": "x",\n'
                 '  "HOST": "127.0.0.1"\n'
                 '  "SERVER_PORT": 3000\n'
                 "}\n")
    rc, out, err = check(p2)
    t.eq(rc, 1, "-t refuses a JSON file with a missing comma", err)
    t.ok(line_of(err, p2) in (3, 4), "the missing comma is located at "
         "line 3 or 4", err)


def test_wrong_type(t):
    p = cfgfile("type.yaml",
                'REQUIRED_API_KEY: "k"\n'
                'HOST: "127.0.0.1"\n'
                "\n"
                "SERVER_PORT: abc\n")
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses SERVER_PORT: abc", err)
    t.ok("SERVER_PORT" in err, "the type error names the key", err)
    t.eq(line_of(err, p), 4, "the type error names the line", err)

    p = cfgfile("range.yaml",
                'REQUIRED_API_KEY: "k"\n'
                'HOST: "127.0.0.1"\n'
                "WORKERS: 0\n")
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses WORKERS: 0 (out of range)", err)
    t.ok("WORKERS" in err and line_of(err, p) == 3,
         "the range error names the key and line", err)

    p = cfgfile("envtype.yaml", 'REQUIRED_API_KEY: "k"\n'
                'HOST: "127.0.0.1"\n')
    rc, out, err = check(p, env={"SERVER_PORT": "abc"})
    t.eq(rc, 1, "-t refuses SERVER_PORT=abc from the environment", err)
    t.ok("SERVER_PORT" in err and "environment" in err,
         "the environment type error names the key and its source", err)

    rc, out, err = check(p, extra=["--port", "99999"])
    t.eq(rc, 1, "-t refuses --port 99999", err)
    t.ok("SERVER_PORT" in err, "the flag range error names the key", err)


def test_missing_key(t):
    p = cfgfile("nokey.yaml", "SERVER_PORT: 3000\n"
                'HOST: "127.0.0.1"\n')
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses a file without REQUIRED_API_KEY", err)
    t.ok("REQUIRED_API_KEY" in err, "the error names REQUIRED_API_KEY", err)
    t.ok("--api-key" in err or "environment" in err or "Set" in err,
         "the error carries a hint on how to set it", err)

    # the daemon itself refuses to start the same way
    rc, out, err = run([AICLIENTD, "-d", "-f", p], env=minimal_env(),
                       timeout=10)
    t.eq(rc, 1, "aiclientd -d refuses to start without REQUIRED_API_KEY",
         err)


def test_empty_key_public(t):
    p = cfgfile("emptypub.yaml", 'REQUIRED_API_KEY: ""\n'
                'HOST: "0.0.0.0"\n')
    rc, out, err = check(p)
    t.eq(rc, 1, "-t refuses an empty key with HOST 0.0.0.0", err)
    t.ok("REQUIRED_API_KEY" in err and "loopback" in err,
         "the error explains that an empty key needs loopback", err)


def test_empty_key_loopback(t):
    p = cfgfile("emptylo.yaml", 'REQUIRED_API_KEY: ""\n'
                'HOST: "127.0.0.1"\n')
    rc, out, err = check(p)
    t.eq(rc, 0, "-t accepts an empty key on loopback", err)
    t.ok("warning" in err, "-t warns that authentication is off", err)

    with Daemon({"REQUIRED_API_KEY": "", "WORKERS": 1}) as d:
        st, h, b = request(d, "GET", "/v1/nope")
        t.eq(st, 404, "no key needed with an empty key (an unknown path "
             "is 404, not 401)", b)
        st, h, b = request(d, "GET", "/v1/nope", {"x-api-key": "whatever"})
        t.eq(st, 404, "any key passes with an empty key", b)
        st, h, b = request(d, "POST", "/v1/messages",
                           {"Content-Type": "application/json"}, b"{}")
        t.ok(not auth_refused(st, b) and dialect_answer(st, b, "claude", h),
             "POST /v1/messages without a key is not refused (%d)" % st, b)
        st, h, b = request(d, "GET", "/health")
        t.eq(st, 200, "health answers with an empty key")


def _answers(port):
    try:
        st, h, b = request(port, "GET", "/health", timeout=2)
        return st == 200
    except OSError:
        return False


def test_env_overrides_file(t):
    pfile, penv = free_port(), free_port()
    while penv == pfile:
        penv = free_port()
    with Daemon({"SERVER_PORT": pfile, "WORKERS": 1},
                env={"SERVER_PORT": str(penv)}, wait=False) as d:
        d.wait_healthy(port=penv)
        t.ok(_answers(penv), "SERVER_PORT from the environment is used")
        t.ok(not _answers(pfile), "the file's SERVER_PORT is not used")
        st = d.status()
        t.ok(any(l.endswith(":%d" % penv) for l in st["listeners"]),
             "status lists the environment's port", str(st["listeners"]))


def test_flag_overrides_env(t):
    pfile, penv, pflag = free_port(), free_port(), free_port()
    with Daemon({"SERVER_PORT": pfile, "WORKERS": 3},
                env={"SERVER_PORT": str(penv), "WORKERS": "2"},
                args=["--port", str(pflag), "--workers=1",
                      "--max-body-bytes", "2048"], wait=False) as d:
        d.wait_healthy(port=pflag)
        t.ok(_answers(pflag), "--port beats the environment")
        t.ok(not _answers(penv), "the environment's port is not used")
        t.ok(not _answers(pfile), "the file's port is not used")
        st = d.status()
        t.eq(st["workers_min"], 1, "--workers=1 (with '=') beats env and "
             "file")
        body = b'{"x":"' + b"a" * 3000 + b'"}'
        s, h, b = request(pflag, "POST", "/v1/nope",
                          {"Authorization": "Bearer " + API_KEY,
                           "Content-Type": "application/json"}, body)
        t.eq(s, 413, "--max-body-bytes 2048 refuses a 3 KB body", b)


def _key_ok(d, key):
    """404 on an unknown path: the key was accepted; 401: refused."""
    st, _, _ = request(d, "GET", "/v1/nope", {"x-api-key": key})
    return st


def test_api_key_layers(t):
    # file key < env key < --api-key
    with Daemon({"REQUIRED_API_KEY": "file-key", "WORKERS": 1},
                env={"REQUIRED_API_KEY": "env-key"}) as d:
        t.eq((_key_ok(d, "env-key"), _key_ok(d, "file-key")), (404, 401),
             "REQUIRED_API_KEY from the environment replaces the file's")
    with Daemon({"REQUIRED_API_KEY": "file-key", "WORKERS": 1},
                env={"REQUIRED_API_KEY": "env-key"},
                args=["--api-key", "flag-key"]) as d:
        t.eq((_key_ok(d, "flag-key"), _key_ok(d, "env-key"),
              _key_ok(d, "file-key")), (404, 401, 401),
             "--api-key replaces the environment's and the file's key")


def test_key_with_special_characters(t):
    key = "a+b&c%d=e f"
    with Daemon({"REQUIRED_API_KEY": key, "WORKERS": 1}) as d:
        s1, _, _ = request(d, "GET", "/v1/nope",
                           {"Authorization": "Bearer " + key})
        s2, _, _ = request(d, "GET", "/v1/nope?key=a%2Bb%26c%25d%3De%20f")
        s3, _, _ = request(d, "GET", "/v1/nope?key=a%2Bb%26c%25d%3De+f")
        s4, _, _ = request(d, "GET", "/v1/nope?key=a+b")
        t.eq(s1, 404, "a key with + & %% = and a space works as Bearer")
        t.eq((s2, s3), (404, 404), "and percent-encoded in ?key= (%20 or "
             "'+' for the space)")
        t.eq(s4, 401, "a truncated ?key= is refused")


def test_tt_prints_sources(t):
    p = cfgfile("tt.yaml", 'REQUIRED_API_KEY: "very-secret-value-123"\n'
                'HOST: "127.0.0.1"\n')
    rc, out, err = check(p, env={"SERVER_PORT": "4444"},
                         extra=["-t", "--workers", "3"])
    t.eq(rc, 0, "-tt succeeds", err)
    t.ok(re.search(r"^SERVER_PORT: 4444\b.*environment", out, re.M),
         "-tt shows SERVER_PORT 4444 from the environment", out[:2000])
    t.ok(re.search(r"^WORKERS: 3\b.*command line", out, re.M),
         "-tt shows WORKERS 3 from the command line", out[:2000])
    t.ok("very-secret-value-123" not in out + err,
         "-tt does not print the API key", out[:300])


def test_missing_file(t):
    rc, out, err = check(os.path.join(TMP, "does-not-exist.yaml"))
    t.eq(rc, 1, "-t on a missing file exits 1", err)
    t.ok("does-not-exist.yaml" in err, "the error names the file", err)


def test_version_help(t):
    rc, out, err = run([AICLIENTD, "-V"])
    t.eq(rc, 0, "-V exits 0", err)
    t.ok(re.match(r"^aiclientd \d+\.\d+\.\d+", out), "-V prints "
         "'aiclientd X.Y.Z'", out)
    rc2, out2, err2 = run([AICLIENTD, "--version"])
    t.eq(out2, out, "--version prints the same as -V")
    rc, out, err = run([AICLIENTD, "-h"])
    t.eq(rc, 0, "-h exits 0", err)
    t.ok("usage:" in out, "-h prints the usage on stdout", out[:300])
    missing = [f for f in ("--port", "--host", "--api-key", "--workers",
                           "--max-workers", "--max-body-bytes",
                           "--header-timeout-seconds", "--control-socket",
                           "--pid-file", "--state-dir", "-t", "-f")
               if f not in out]
    t.eq(missing, [], "-h lists the configuration flags")
    rc, out, err = run([AICLIENTD, "--no-such-option"])
    t.ok(rc != 0 and "usage" in err, "an unknown option exits non-zero "
         "with the usage on stderr (rc %d)" % rc, err[:300])


if __name__ == "__main__":
    try:
        main([test_good_yaml, test_good_json_ref_style, test_bad_yaml,
              test_bad_json, test_wrong_type, test_missing_key,
              test_empty_key_public, test_empty_key_loopback,
              test_env_overrides_file, test_flag_overrides_env,
              test_api_key_layers, test_key_with_special_characters,
              test_tt_prints_sources,
              test_missing_file, test_version_help])
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
