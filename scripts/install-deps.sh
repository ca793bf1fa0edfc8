#!/usr/bin/env bash
# install-deps.sh - what the build, the tests and the demo need beyond the
# machine's own toolchain (gcc, JDK + Maven, Python), installed only when
# missing, so a warm machine pays one dpkg query. Needs root, as CI and the
# development machines here are; elsewhere run it with sudo.
#   Debian: libffi (closures), uthash (tables), cmocka (unit tests), valgrind,
#           clang + its runtime (libFuzzer), util-linux (unshare, setpriv)
#   PyPI:   pytest, for the python3 on PATH
set -euo pipefail
pkgs=(libffi-dev uthash-dev libcmocka-dev valgrind clang libclang-rt-14-dev util-linux)
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
if ! python3 -c 'import pytest' 2>/dev/null; then
    echo "install-deps: installing pytest from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check pytest
fi
