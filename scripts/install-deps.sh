#!/usr/bin/env bash
# install-deps.sh - the Debian packages the build and the tests need, installed
# only when missing (so a warm machine pays one dpkg query). Needs root, as CI
# and the development machines here are; elsewhere run it with sudo.
set -euo pipefail
pkgs=(libffi-dev uthash-dev libcmocka-dev valgrind python3-pytest)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# pytest may come from pip instead of Debian; either will do.
if python3 -c 'import pytest' 2>/dev/null; then
    missing=("${missing[@]/python3-pytest/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
