#!/bin/sh
# bench/run.sh: load aiclientd with wrk against the mock Kiro upstream and
# print throughput, latency, errors and the daemon's memory, beside the
# same load sent straight to the mock.  A script, not a test: it prints
# figures and never fails on a slow machine.
#
#   bench/run.sh [BUILD_DIR] [--duration S] [--long N]
#
# BUILD_DIR holds aiclientd, aiclientctl and tests/mock/mockup (default
# ./build).  --long N also sends N requests and compares the daemon's
# memory before and after (a leak check; 1000000 for the release check).
set -u
build=build
dur=10
long=0
while [ $# -gt 0 ]; do
	case $1 in
	--duration) dur=$2; shift ;;
	--long) long=$2; shift ;;
	*) build=$1 ;;
	esac
	shift
done
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
for b in aiclientd aiclientctl tests/mock/mockup; do
	[ -x "$build/$b" ] || { echo "missing $build/$b (make && make tests/mock/mockup)"; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

tmp=$(mktemp -d /tmp/aiclientd-bench.XXXXXX)
key=bench-key-0123456789abcdef
cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null
	[ -n "${mockpid:-}" ] && kill "$mockpid" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "${dpid:-0}" 2>/dev/null || break
		sleep 0.5
	done
	[ -n "${dpid:-}" ] && kill -9 "$dpid" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# the mock: two processes so that it is never the bottleneck
"$build/tests/mock/mockup" -p 0 -w 2 --any-token --quiet >"$tmp/mock.out" &
mockpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q '^PORT' "$tmp/mock.out" 2>/dev/null && break
	sleep 0.1
done
mport=$(awk '/^PORT/ {print $2; exit}' "$tmp/mock.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$tmp/cred.json" <<EOC
{"accessToken":"bench-access","refreshToken":"bench-refresh",
 "expiresAt":"2099-01-01T00:00:00.000Z","authMethod":"social",
 "profileArn":"arn:aws:codewhisperer:us-east-1:000000000000:profile/BENCH",
 "region":"us-east-1"}
EOC
cat >"$tmp/aiclient.yaml" <<EOC
REQUIRED_API_KEY: "$key"
HOST: 127.0.0.1
SERVER_PORT: $port
MODEL_PROVIDER: claude-kiro-oauth
KIRO_OAUTH_CREDS_FILE_PATH: $tmp/cred.json
KIRO_BASE_URL: http://127.0.0.1:$mport/generateAssistantResponse
KIRO_REFRESH_URL: http://127.0.0.1:$mport/refreshToken
WORKERS: 4
MAX_WORKERS: 128
CONTROL_SOCKET: $tmp/control.sock
PID_FILE: $tmp/aiclientd.pid
STATE_DIR: $tmp/state
LOG_FILE: $tmp/aiclientd.log
LOG_LEVEL: info
EOC
"$build/aiclientd" -f "$tmp/aiclient.yaml" -d 2>"$tmp/stderr.log" &
dpid=$!
for i in $(seq 1 50); do
	curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
	sleep 0.1
done

# PSS of the master and every worker, in kB
pss() {
	pids=$(cat "$tmp/aiclientd.pid" 2>/dev/null)
	pids="$pids $(pgrep -P "$pids" | tr '\n' ' ')"
	total=0
	for p in $pids; do
		v=$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
nworkers() {
	pgrep -P "$(cat "$tmp/aiclientd.pid")" | wc -l
}

load() {	# name url conns [env...]
	name=$1; url=$2; conns=$3; shift 3
	# warm up at this concurrency: the pool grows to the connection
	# count (its growth step doubles every second while none is idle)
	env "$@" BENCH_KEY=$key wrk -t2 -c"$conns" -d"${warm}s" -s "$script" \
	    "$url" >/dev/null 2>&1
	env "$@" BENCH_KEY=$key wrk -t2 -c"$conns" -d"${dur}s" --latency \
	    -s "$script" "$url" >"$tmp/wrk.out" 2>&1 &
	wpid=$!
	sleep $((dur / 2))
	peak=$(pss)
	nw=$(nworkers)
	wait $wpid
	awk -v name="$name" -v conns="$conns" -v pss="$peak" -v nw="$nw" '
	/Requests\/sec/ { rps = $2 }
	/^ +50%/ { p50 = $2 }
	/^ +99%/ { p99 = $2 }
	/Non-2xx/ { non2xx = $NF }
	/Socket errors/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
	END { printf "%-34s %4d %10s %9s %9s %7d %9s %4d\n", name, conns, rps, p50, p99,
	    non2xx + sock, pss ? pss " kB" : "-", nw }' "$tmp/wrk.out"
}

echo "aiclientd bench: $(nproc) CPUs, wrk -t2 -d${dur}s; mock on port $mport (2 processes)"
echo "idle PSS (master + $(nworkers) workers): $(pss) kB"
printf "%-34s %4s %10s %9s %9s %7s %9s %4s\n" "load" "conn" "req/s" "p50" "p99" \
    "errors" "PSS" "wkrs"
echo "(PSS: the daemon's, master and workers summed, sampled mid-run; wkrs: its worker processes)"

script=$here/messages.lua
warm=8
for c in 16 64; do
	load "aiclientd non-stream" "http://127.0.0.1:$port/v1/messages" $c
done
for c in 16 64; do
	load "aiclientd stream, 200 events" "http://127.0.0.1:$port/v1/messages" $c \
	    BENCH_STREAM=1 BENCH_DIRECTIVE=MOCK:events:200
done
script=$build/../tests/mock/mock-chat.lua
[ -f "$script" ] || script=$here/../tests/mock/mock-chat.lua
warm=2
for c in 16 64; do
	load "mock alone, short answer" "http://127.0.0.1:$mport/generateAssistantResponse" $c \
	    MOCK_TOKEN=x
done
for c in 16 64; do
	load "mock alone, 200 events" "http://127.0.0.1:$mport/generateAssistantResponse" $c \
	    MOCK_TOKEN=x MOCK_DIRECTIVE=MOCK:events:200
done
sleep 12	# the pool shrinks back after idle time
echo "PSS after the runs (master + $(nworkers) workers): $(pss) kB"

# Private (unshared, dirty) memory of the master and of the workers that
# existed before, in kB: what a leak would grow.
private() {	# pids
	total=0
	for p in "$@"; do
		v=$(awk '/^Private_Dirty:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

if [ "$long" -gt 0 ]; then
	script=$here/messages.lua
	# back to WORKERS first, so that the same processes are compared
	for i in $(seq 1 120); do
		[ "$(nworkers)" -le 4 ] && break
		sleep 1
	done
	master=$(cat "$tmp/aiclientd.pid")
	before_pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
	before=$(private $before_pids)
	n0=$("$build/aiclientctl" -s "$tmp/control.sock" --json status |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
	target=$((n0 + long))
	while :; do
		BENCH_KEY=$key wrk -t2 -c64 -d20s -s "$script" \
		    "http://127.0.0.1:$port/v1/messages" >/dev/null 2>&1
		n=$("$build/aiclientctl" -s "$tmp/control.sock" --json status |
		    python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
		[ "$n" -ge "$target" ] && break
	done
	for i in $(seq 1 120); do
		[ "$(nworkers)" -le 4 ] && break
		sleep 1
	done
	alive=""
	for p in $before_pids; do
		[ -d /proc/$p ] && alive="$alive $p"
	done
	after=$(private $alive)
	echo "leak check: $((n - n0)) requests; private dirty memory of the" \
	    "master and the $(($(echo $alive | wc -w) - 1)) workers that lived" \
	    "through it: before $before kB, after $after kB"
fi
