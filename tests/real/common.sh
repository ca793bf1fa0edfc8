# Shared helpers for tests/real/*.sh (sourced, not executed).
# Broker lines: "4.9" (alias 4.9.x, 4) -> RocketMQ 4.9.7, "5" (alias 5.x) -> 5.3.3.

REAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$REAL_DIR/../.." && pwd)
BUILD_REAL="$REPO_ROOT/build/real"

# norm_line LINE -> prints canonical line name or fails
norm_line() {
    case "${1:-}" in
        4.9|4.9.x|4|4.x) echo 4.9 ;;
        5|5.x|5.3|5.3.x) echo 5 ;;
        *) echo "unknown broker line '${1:-}' (use 4.9 or 5)" >&2; return 2 ;;
    esac
}

line_version() {
    case "$1" in
        4.9) echo 4.9.7 ;;
        5) echo 5.3.3 ;;
    esac
}

line_lib() { echo "$BUILD_REAL/$1/lib"; }

# JVM flags shared by every JVM we start. JDK 17 needs the opens/exports for
# 4.9.x (MappedFile cleaner, direct buffers); they are harmless on 5.x.
jvm_common_opts() {
    echo "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Djava.net.preferIPv4Stack=true" \
         "-XX:-UsePerfData -Dfile.encoding=UTF-8" \
         "--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED" \
         "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED" \
         "--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/jdk.internal.misc=ALL-UNNAMED" \
         "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED" \
         "-Drocketmq.client.logUseSlf4j=false"
}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
