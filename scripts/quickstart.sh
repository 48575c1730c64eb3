#!/bin/sh
# Build aiclientd and start it in the foreground on a sample
# configuration in ./run/ (created on first use, with a random API key
# that is printed).  Stop it with Ctrl-C.
set -e
cd "$(dirname "$0")/.."
top=$(pwd)
[ -x configure ] || autoreconf -fi
mkdir -p build && cd build
[ -f Makefile ] || ../configure
make -j"$(nproc)"
cd "$top"
mkdir -p run
if [ ! -f run/aiclient.yaml ]; then
	key=$(openssl rand -hex 24)
	sed -e "s|@KEY@|$key|" -e "s|@RUN@|$top/run|g" etc/quickstart.yaml.in \
	    >run/aiclient.yaml
	chmod 600 run/aiclient.yaml
	echo "Created run/aiclient.yaml.  Your API key: $key"
else
	key=$(sed -n 's/^REQUIRED_API_KEY: *"\(.*\)"/\1/p' run/aiclient.yaml)
	echo "Using run/aiclient.yaml.  Your API key: $key"
fi
echo "Try: curl -s http://127.0.0.1:3000/health"
exec build/aiclientd -d -f run/aiclient.yaml
