#!/usr/bin/env bash
# mqadmin.sh LINE ARGS...
# Runs the RocketMQ admin tool (org.apache.rocketmq.tools.command.MQAdminStartup)
# of broker line LINE (4.9 | 5) against the local name server
# ($RECONSUME_NAMESRV, default 127.0.0.1:19876; "-n ADDR" is appended unless
# ARGS has one). The tool's own logs go under $RECONSUME_MQADMIN_HOME
# (default ${TMPDIR:-/tmp}/reconsume-mqadmin).
# Examples:
#   tests/real/mqadmin.sh 4.9 clusterList
#   tests/real/mqadmin.sh 4.9 topicStatus -t '%DLQ%my_group'
#   tests/real/mqadmin.sh 4.9 consumerProgress -g my_group
#   tests/real/mqadmin.sh 4.9 queryMsgByKey -t '%DLQ%my_group' -k my_key
set -euo pipefail
. "$(dirname "$0")/common.sh"
line=$(norm_line "${1:-}"); shift
"$REAL_DIR/fetch-broker.sh" "$line"
home=${RECONSUME_MQADMIN_HOME:-${TMPDIR:-/tmp}/reconsume-mqadmin}
mkdir -p "$home/conf"
if [[ ! -f "$home/conf/logback_tools.xml" ]]; then
    cat > "$home/conf/logback_tools.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${user.home}/logs/rocketmqlogs/tools.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
</configuration>
XML
fi
args=("$@")
has_n=0
for a in "$@"; do [[ "$a" == -n || "$a" == --namesrvAddr* ]] && has_n=1; done
(( has_n )) || args+=(-n "${RECONSUME_NAMESRV:-127.0.0.1:19876}")
# 5.x (shaded logback) prints its configuration status on stdout: silence it
quiet=""
[[ "$line" == 5 ]] && quiet=-Dlogback.statusListenerClass=org.apache.rocketmq.logging.ch.qos.logback.core.status.NopStatusListener
# shellcheck disable=SC2046,SC2086
ROCKETMQ_HOME="$home" exec java -Xms32m -Xmx128m $(jvm_common_opts) \
    -Duser.home="$home" -Drocketmq.home.dir="$home" \
    $quiet \
    -cp "$(line_lib "$line")/*" org.apache.rocketmq.tools.command.MQAdminStartup "${args[@]}"
