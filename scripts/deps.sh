#!/bin/sh
# Install what building aiclientd needs (Debian and derivatives); with
# --tests also what the test suite needs.  Uses sudo when not root.
# --yes: do not ask.
set -e
tests=0
yes=
for a in "$@"; do
	case $a in
	--tests) tests=1 ;;
	--yes) yes=-y ;;
	esac
done
pkgs="build-essential autoconf automake pkg-config libcurl4-openssl-dev
libjson-c-dev libssl-dev libyaml-dev openssl"
if [ $tests -eq 1 ]; then
	pkgs="$pkgs check python3 curl mandoc"
	# Node.js for the SDK tests: Debian's, unless one is installed
	# already (NodeSource's nodejs ships npm and conflicts with Debian's)
	command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
# shellcheck disable=SC2086
$sudo apt-get install $yes --no-install-recommends $pkgs
