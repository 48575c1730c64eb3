#!/bin/sh
# Install what the tests need, build, and run the whole test suite
# (unit tests, then integration tests against the real daemon and mock
# upstreams on 127.0.0.1; the SDK tests fetch their npm packages once).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh --tests --yes
[ -x configure ] || autoreconf -fi
mkdir -p build && cd build
[ -f Makefile ] || ../configure
make -j"$(nproc)"
make -j2 check
