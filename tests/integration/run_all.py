#!/usr/bin/env python3
"""
run_all.py: run every test_*.py of this directory in turn and sum up.

    AICLIENTD=/path/aiclientd AICLIENTCTL=/path/aiclientctl \
        python3 tests/integration/run_all.py [-v] [name-filter ...]

Each script is standalone TAP; -v shows every line, otherwise only the
failures and each script's summary.  Exit status 0 when all pass.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    verbose = "-v" in sys.argv[1:]
    filters = [a for a in sys.argv[1:] if a != "-v"]
    scripts = sorted(f for f in os.listdir(HERE)
                     if f.startswith("test_") and f.endswith(".py"))
    if filters:
        scripts = [s for s in scripts if any(f in s for f in filters)]
    total_fail = 0
    t00 = time.monotonic()
    for s in scripts:
        t0 = time.monotonic()
        p = subprocess.Popen([sys.executable, os.path.join(HERE, s)],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out = p.communicate()[0].decode("utf-8", "replace")
        dt = time.monotonic() - t0
        lines = out.splitlines()
        npass = sum(1 for ln in lines if re.match(r"^ok \d+", ln))
        nfail = sum(1 for ln in lines if re.match(r"^not ok \d+", ln))
        show = False
        for ln in lines:
            if ln.startswith("not ok"):
                show = True
            elif not ln.startswith("# ") or ln.startswith("# ---"):
                show = False
            if verbose or show:
                print("    " + ln)
        plan = [ln for ln in lines if re.match(r"^1\.\.\d+", ln)]
        status = "ok" if p.returncode == 0 else "FAIL (exit %d)" % \
            p.returncode
        if not plan:
            status += ", no plan (crashed?)"
            print("\n".join("    " + ln for ln in lines[-20:]))
        print("%-22s %3d ok, %3d not ok  %5.1fs  %s" % (s, npass, nfail, dt,
                                                      status))
        sys.stdout.flush()
        if p.returncode != 0:
            total_fail += 1
    print("total %.1fs, %d of %d scripts failed" %
          (time.monotonic() - t00, total_fail, len(scripts)))
    sys.exit(1 if total_fail else 0)


if __name__ == "__main__":
    main()
