#!/usr/bin/env bash
# install-deps.sh [demo|test] - what the build, the demo and the tests need
# beyond the machine's toolchain, installed only when missing, so a warm
# machine pays one dpkg query. Needs root, as CI and the development machines
# here are; elsewhere run it with sudo.
#   demo: libffi (closures), uthash (tables), a JDK and Maven (the broker
#         jars come from Maven Central), python3-pip
#   test: the demo's, and cmocka (unit tests), valgrind, clang + its runtime
#         (libFuzzer), util-linux (unshare, setpriv), prometheus-node-exporter
#         (the textfile-collector test, tests/tools); pytest from PyPI
set -euo pipefail
what=${1:-test}
pkgs=(libffi-dev uthash-dev)
command -v java >/dev/null 2>&1 || pkgs+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
python3 -m pip --version >/dev/null 2>&1 || pkgs+=(python3-pip)
if [ "$what" = test ]; then
    pkgs+=(libcmocka-dev valgrind clang libclang-rt-14-dev util-linux prometheus-node-exporter)
elif [ "$what" != demo ]; then
    echo "install-deps: usage: install-deps.sh [demo|test]" >&2
    exit 2
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$what" = test ] && ! python3 -c 'import pytest' 2>/dev/null; then
    echo "install-deps: installing pytest from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check pytest
fi
