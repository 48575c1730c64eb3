#!/bin/sh
# Run every unit test binary of a build under valgrind's memcheck, in
# one process (CK_FORK=no) so that valgrind sees all of it.  An invalid
# read or write, a use of uninitialised memory or a definite leak fails
# the binary.  Prints one line per binary and an Automake-style summary.
#
#   scripts/valgrind-unit.sh [BUILD_DIR]     (default: build)
set -u
build=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind is needed"; exit 1; }
[ -d "$build/tests/unit" ] || { echo "no $build/tests/unit: build first"; exit 1; }
# build the test binaries, run none
make -C "$build" -j"$(nproc)" check TESTS= >/dev/null || exit 1
pass=0
fail=0
out=$(mktemp)
for t in "$build"/tests/unit/test_*; do
	case $t in *.o|*.log|*.trs|*.c) continue ;; esac
	[ -x "$t" ] || continue
	if CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite "$t" >"$out" 2>&1; then
		echo "PASS: valgrind $(basename "$t")"
		pass=$((pass + 1))
	else
		echo "FAIL: valgrind $(basename "$t")"
		grep -E '^==[0-9]+== ' "$out" | head -n 30
		fail=$((fail + 1))
	fi
done
rm -f "$out"
echo "# TOTAL: $((pass + fail))"
echo "# PASS:  $pass"
echo "# FAIL:  $fail"
[ "$fail" -eq 0 ]
