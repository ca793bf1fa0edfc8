#!/usr/bin/env bash
# fetch-broker.sh LINE   (LINE = 4.9 | 5)
# Resolves RocketMQ name server, broker and admin tool jars of one broker line
# from Maven Central (tests/real/pom.xml, profile line-LINE) into
# build/real/LINE/lib. Idempotent: does nothing when the jars are present.
set -euo pipefail
. "$(dirname "$0")/common.sh"
line=$(norm_line "${1:-4.9}")
ver=$(line_version "$line")
lib=$(line_lib "$line")
stamp="$BUILD_REAL/$line/.fetched-$ver"
if [[ -f "$stamp" && -f "$lib/rocketmq-broker-$ver.jar" && -f "$lib/rocketmq-tools-$ver.jar" ]]; then
    exit 0
fi
command -v mvn >/dev/null || die "mvn not found (Maven 3.8+ is needed)"
rm -rf "$lib"
mkdir -p "$lib"
echo "fetch-broker: resolving RocketMQ $ver (line $line) into $lib" >&2
mvn -q -B -Dstyle.color=never -f "$REAL_DIR/pom.xml" -P "line-$line" \
    dependency:copy-dependencies -DoutputDirectory="$lib" >&2
[[ -f "$lib/rocketmq-broker-$ver.jar" ]] || die "rocketmq-broker-$ver.jar missing after mvn"
touch "$stamp"
