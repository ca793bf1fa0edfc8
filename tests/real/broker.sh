#!/usr/bin/env bash
# broker.sh start|stop|wait|status|env LINE BASEDIR
#
# A RocketMQ name server + one broker (line 4.9 -> 4.9.7, line 5 -> 5.3.3) for
# the real-stack tests, on 127.0.0.1 only, with everything (config, store,
# logs, pids) under BASEDIR. Ports: name server $RECONSUME_NAMESRV_PORT
# (default 19876), broker $RECONSUME_BROKER_PORT (default 20911; the broker
# also takes PORT-2 (fast remoting) and PORT+1 (HA)). Every delay level is 1 s
# so a message that is always reconsumed reaches %DLQ% after 16 retries in
# about 20 s.
#   start   fetches the jars if needed, starts both JVMs in the background
#   wait    blocks until the broker is registered at the name server, the
#           name server routes a topic on it and the broker accepts a send
#           (timeout $RECONSUME_BROKER_WAIT s, default 90; says what was missing)
#   stop    stops both (TERM, then KILL after 10 s); safe to call twice
#   status  prints the state; exit 0 if both processes are alive
#   env     prints NAMESRV=host:port and BROKER=host:port
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; line=$(norm_line "${2:-}"); base=${3:-}
[[ -n "$cmd" && -n "$base" ]] || die "usage: broker.sh start|stop|wait|status|env LINE BASEDIR"
mkdir -p "$base"
base=$(cd "$base" && pwd)
ver=$(line_version "$line")
lib=$(line_lib "$line")

# Ports are fixed at start and remembered in BASEDIR/ports.
if [[ -f "$base/ports" ]]; then
    . "$base/ports"
else
    NS_PORT=${RECONSUME_NAMESRV_PORT:-19876}
    BR_PORT=${RECONSUME_BROKER_PORT:-20911}
fi
NAMESRV="127.0.0.1:$NS_PORT"
BROKER="127.0.0.1:$BR_PORT"

alive() { [[ -f "$base/$1.pid" ]] && kill -0 "$(cat "$base/$1.pid")" 2>/dev/null; }

write_logback() { # NAME FILE
    cat > "$2" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!-- written by tests/real/broker.sh: one plain file per process -->
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${user.home}/logs/rocketmqlogs/$1.log</file>
    <append>true</append>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5p [%t] %c{0} - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
XML
}

write_config() {
    mkdir -p "$base/home/conf" "$base/store/commitlog" "$base/logs/rocketmqlogs"
    write_logback namesrv "$base/home/conf/logback_namesrv.xml"
    write_logback broker  "$base/home/conf/logback_broker.xml"
    write_logback tools   "$base/home/conf/logback_tools.xml"
    local bind="" timer=""
    [[ "$line" == 5 ]] && bind="bindAddress=127.0.0.1"
    # 5.x: timer messages on (its default), for RECONSUME_BACKOFF_TIMER
    [[ "$line" == 5 ]] && timer="timerWheelEnable=true"
    cat > "$base/namesrv.conf" <<CONF
listenPort=$NS_PORT
rocketmqHome=$base/home
kvConfigPath=$base/namesrv/kvConfig.json
# 5.x: the name server points its own remoting client at "<first non-loopback
# address>:port" and would probe it every few seconds; keep it from doing so.
scanAvailableNameSrv=false
$bind
CONF
    # Every level 1 s (send-backs use level 3 and up: tests stay fast), but
    # level 2 is 2 s, so that a retry copy's level shows in its gap
    # (tests/real/test_backoff_e2e.py).
    local levels; levels="1s 2s $(printf '1s %.0s' $(seq 16))"; levels=${levels% }
    cat > "$base/broker.conf" <<CONF
brokerClusterName=ReconsumeCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$NAMESRV
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
listenPort=$BR_PORT
haListenPort=$((BR_PORT + 1))
$bind
rocketmqHome=$base/home
storePathRootDir=$base/store
storePathCommitLog=$base/store/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
defaultTopicQueueNums=4
mappedFileSizeCommitLog=33554432
mappedFileSizeConsumeQueue=60000
mappedFileSizeConsumeQueueExt=1048576
mappedFileSizeTimerLog=8388608
$timer
messageDelayLevel=$levels
diskMaxUsedSpaceRatio=95
deleteWhen=04
fileReservedTime=1
traceTopicEnable=false
skipPreOnline=true
CONF
    {
        echo "NS_PORT=$NS_PORT"
        echo "BR_PORT=$BR_PORT"
        echo "LINE=$line"
    } > "$base/ports"
}

start_jvm() { # NAME HEAPOPTS MAINCLASS ARGS...
    local name=$1 heap=$2 main=$3; shift 3
    # shellcheck disable=SC2046
    ROCKETMQ_HOME="$base/home" setsid java $heap $(jvm_common_opts) \
        -Duser.home="$base" -Drocketmq.home.dir="$base/home" \
        -Drocketmq.broker.diskSpaceWarningLevelRatio=0.95 \
        -Drocketmq.broker.diskSpaceCleanForciblyRatio=0.95 \
        -cp "$lib/*" "$main" "$@" \
        > "$base/logs/$name.out" 2>&1 < /dev/null &
    echo $! > "$base/$name.pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

do_start() {
    if alive namesrv || alive broker; then
        echo "broker.sh: already running in $base" >&2; return 0
    fi
    "$REAL_DIR/fetch-broker.sh" "$line"
    command -v java >/dev/null || die "java not found (JDK 17 is needed)"
    port_open "$NS_PORT" && die "port $NS_PORT already in use"
    port_open "$BR_PORT" && die "port $BR_PORT already in use"
    write_config
    date +%s.%N > "$base/start.time"
    start_jvm namesrv "-Xms64m -Xmx192m -XX:MaxDirectMemorySize=64m" \
        org.apache.rocketmq.namesrv.NamesrvStartup -c "$base/namesrv.conf"
    # The broker registers at the name server once at start and then only every
    # 10-30 s (5.x): start it when the name server listens, or the first
    # registration is lost and `wait` takes 10 s longer.
    local i
    for i in $(seq 300); do
        port_open "$NS_PORT" && break
        alive namesrv || { tail -20 "$base/logs/namesrv.out" >&2; die "name server died (see $base/logs)"; }
        sleep 0.1
    done
    start_jvm broker "-Xms256m -Xmx512m -XX:MaxDirectMemorySize=256m" \
        org.apache.rocketmq.broker.BrokerStartup -c "$base/broker.conf"
    echo "broker.sh: started RocketMQ $ver namesrv=$NAMESRV broker=$BROKER in $base" >&2
}

# Ready means: both listen, the broker is registered at the name server and
# answers, the name server routes a topic created on it (rmq_remoting.py's
# PROBE_TOPIC), and the broker accepts a send to that topic.
do_wait() {
    local timeout=${RECONSUME_BROKER_WAIT:-90} t0 now why="ports not open"
    t0=$(date +%s)
    while :; do
        alive namesrv || { tail -20 "$base/logs/namesrv.out" >&2; die "name server died (see $base/logs)"; }
        alive broker  || { tail -20 "$base/logs/broker.out" >&2; die "broker died (see $base/logs)"; }
        if port_open "$NS_PORT" && port_open "$BR_PORT" &&
           why=$(python3 "$REAL_DIR/rmq_remoting.py" ready "$NAMESRV" "$BROKER" 2>&1); then
            if [[ -f "$base/start.time" ]]; then
                python3 -c "import sys,time; print('broker.sh: ready after %.1f s' % (time.time()-float(open(sys.argv[1]).read())))" \
                    "$base/start.time" >&2
            fi
            return 0
        fi
        now=$(date +%s)
        (( now - t0 < timeout )) || die "not ready after ${timeout}s: ${why:-?} (see $base/logs)"
        sleep 0.3
    done
}

do_stop() {
    local n pid i
    for n in broker namesrv; do
        [[ -f "$base/$n.pid" ]] || continue
        pid=$(cat "$base/$n.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$base/$n.pid"
    done
    return 0
}

do_status() {
    local rc=0 n
    for n in namesrv broker; do
        if alive "$n"; then echo "$n: running (pid $(cat "$base/$n.pid"))"; else echo "$n: stopped"; rc=1; fi
    done
    echo "namesrv=$NAMESRV broker=$BROKER line=$line version=$ver"
    return $rc
}

case "$cmd" in
    start) do_start ;;
    wait) do_wait ;;
    stop) do_stop ;;
    status) do_status ;;
    env) echo "NAMESRV=$NAMESRV"; echo "BROKER=$BROKER" ;;
    *) die "unknown command '$cmd'" ;;
esac
