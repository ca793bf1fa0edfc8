#!/usr/bin/env bash
# fetch-client.sh [VERSION]
# Fetches a prebuilt RocketMQ C/C++ client library (librocketmq.so) from PyPI
# with pip and extracts it into build/real/client-VERSION/ (use that folder
# with -L at link time and in LD_LIBRARY_PATH at run time). Idempotent.
# Prints the client folder on stdout.
#
#   VERSION   PyPI file                                   what is inside
#   1.2.3     rocketmq==0.4.4 (wheel, manylinux1)          1.2.x-era client (C API of 1.x),
#   (default)                                              needs rocketmq/.libs/libz-*.so via
#                                                          RPATH $ORIGIN/.libs: kept as .libs/
#   2.1.0     rocketmq-python-cvs==2.1.0.3 (sdist)         rocketmq-client-cpp 2.1.0 build,
#                                                          needs the system libz.so.1, glibc>=2.30
# See tests/real/NOTES.md for how these were found and what they export.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ver=${1:-1.2.3}
case "$ver" in
    1.2.3|1.2|1|0.4.4) ver=1.2.3; pkg="rocketmq==0.4.4"; member_prefix="rocketmq/" ;;
    2.1.0|2.1|2) ver=2.1.0; pkg="rocketmq-python-cvs==2.1.0.3"; member_prefix="rocketmq-python-cvs-2.1.0.3/rocketmq/" ;;
    *) die "unknown client version '$ver' (have: 1.2.3, 2.1.0)" ;;
esac
dest="$BUILD_REAL/client-$ver"
if [[ -f "$dest/librocketmq.so" && -f "$dest/SOURCE" ]]; then
    echo "$dest"; exit 0
fi
wheels="$BUILD_REAL/wheels"
mkdir -p "$wheels"
name=${pkg%%==*}; pver=${pkg##*==}
# the file pip saves: a wheel for rocketmq, an sdist for rocketmq-python-cvs
find_file() { find "$wheels" -maxdepth 1 \( -name "${name//-/[-_]}-$pver[.-]*" \) -print -quit; }
f=$(find_file)
if [[ -z "$f" ]]; then
    echo "fetch-client: pip download $pkg" >&2
    python3 -m pip download --no-deps --disable-pip-version-check -q -d "$wheels" "$pkg" >&2
    f=$(find_file)
fi
[[ -n "$f" ]] || die "pip did not save $pkg in $wheels"
tmp=$(mktemp -d "$BUILD_REAL/.client-$ver.XXXXXX"); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
python3 - "$f" "$member_prefix" "$tmp" <<'PY'
import os, stat, sys, tarfile, zipfile
src, prefix, out = sys.argv[1:4]
def want(n):  # the library and its bundled .libs/, nothing else
    if not n.startswith(prefix):
        return None
    rel = n[len(prefix):]
    if rel == "librocketmq.so" or (rel.startswith(".libs/") and ".so" in rel):
        return rel
    return None
def put(rel, data):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as fh:
        fh.write(data)
    os.chmod(p, 0o755)
n = 0
if src.endswith(".whl"):
    with zipfile.ZipFile(src) as z:
        for m in z.namelist():
            rel = want(m)
            if rel:
                put(rel, z.read(m)); n += 1
else:
    with tarfile.open(src) as t:
        for m in t.getmembers():
            rel = want(m.name)
            if rel and m.isfile():
                put(rel, t.extractfile(m).read()); n += 1
if not os.path.exists(os.path.join(out, "librocketmq.so")):
    sys.exit("librocketmq.so not found in " + src)
print("fetch-client: extracted %d file(s) from %s" % (n, os.path.basename(src)), file=sys.stderr)
PY
echo "$pkg $(basename "$f")" > "$tmp/SOURCE"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$dest"
