#!/usr/bin/env python3
"""A tiny, Java-free client of the RocketMQ remoting protocol (JSON header
serialization), enough for the real-stack tests to ask a name server and a
broker a few questions quickly (a JVM start of the admin tool costs seconds).

Frame: int32 total length | int32 (serialize type << 24 | header length) |
header JSON | body. Bodies are fastjson text, which may have unquoted numeric
keys and object keys; the parsers below handle what is used here.

Command line:
  rmq_remoting.py ready NAMESRV BROKER      exit 0 when BROKER is registered and answers
  rmq_remoting.py cluster NAMESRV           print the cluster info (JSON)
  rmq_remoting.py count BROKER TOPIC        print the number of messages in TOPIC
  rmq_remoting.py stats BROKER TOPIC        print per-queue min/max offsets (JSON)
  rmq_remoting.py create BROKER TOPIC [Q]   create TOPIC with Q queues (default 4)
"""
import json
import re
import socket
import struct
import sys

GET_BROKER_CLUSTER_INFO = 106
GET_TOPIC_STATS_INFO = 202
GET_BROKER_RUNTIME_INFO = 28
UPDATE_AND_CREATE_TOPIC = 17
TOPIC_NOT_EXIST = 17
_opaque = [0]


class RemotingError(Exception):
    pass


def _split(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise RemotingError("connection closed")
        buf += chunk
    return buf


def invoke(addr, code, ext=None, timeout=3.0):
    """Sends one request; returns (response code, remark, body bytes)."""
    _opaque[0] += 1
    header = {"code": code, "flag": 0, "language": "JAVA", "opaque": _opaque[0],
              "serializeTypeCurrentRPC": "JSON", "version": 395,
              "extFields": {k: str(v) for k, v in (ext or {}).items()}}
    h = json.dumps(header).encode()
    frame = struct.pack(">ii", 4 + len(h), len(h)) + h
    with socket.create_connection(_split(addr), timeout=timeout) as s:
        s.sendall(frame)
        total = struct.unpack(">i", _recv_exact(s, 4))[0]
        data = _recv_exact(s, total)
    hlen = struct.unpack(">i", data[:4])[0] & 0xFFFFFF
    resp = json.loads(data[4:4 + hlen])
    return resp.get("code"), resp.get("remark"), data[4 + hlen:]


def _lenient_json(text):
    # fastjson writes Map<Long,..> keys unquoted: {0:"a"} -> {"0":"a"}
    return json.loads(re.sub(r'([{,])(-?\d+):', r'\1"\2":', text))


def cluster_info(namesrv):
    code, remark, body = invoke(namesrv, GET_BROKER_CLUSTER_INFO)
    if code != 0:
        raise RemotingError("cluster info: code %s %s" % (code, remark))
    return _lenient_json(body.decode())


def broker_addrs(namesrv):
    info = cluster_info(namesrv)
    out = []
    for b in (info.get("brokerAddrTable") or {}).values():
        out.extend((b.get("brokerAddrs") or {}).values())
    return out


def topic_stats(broker, topic):
    """{queueId: (minOffset, maxOffset)}; {} when the topic does not exist."""
    code, remark, body = invoke(broker, GET_TOPIC_STATS_INFO, {"topic": topic})
    if code == TOPIC_NOT_EXIST:
        return {}
    if code != 0:
        raise RemotingError("topic stats %s: code %s %s" % (topic, code, remark))
    out = {}
    # offsetTable is a map with object keys: {{"brokerName":..,"queueId":0,..}:{..}}
    for k, v in re.findall(r'\{([^{}]*)\}:\{([^{}]*)\}', body.decode()):
        key = _lenient_json("{" + k + "}")
        val = _lenient_json("{" + v + "}")
        if key.get("topic") == topic:
            out[int(key["queueId"])] = (int(val["minOffset"]), int(val["maxOffset"]))
    return out


def topic_count(broker, topic):
    return sum(mx - mn for mn, mx in topic_stats(broker, topic).values())


def create_topic(broker, topic, queues=4, order=False):
    """Creates (or updates) TOPIC on BROKER, read/write, QUEUES queues. The
    broker registers the new route at the name server at once, so consumers
    started afterwards find it without waiting for a route refresh."""
    code, remark, _ = invoke(broker, UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": queues,
        "writeQueueNums": queues, "perm": 6, "topicFilterType": "SINGLE_TAG",
        "topicSysFlag": 0, "order": "true" if order else "false"})
    if code != 0:
        raise RemotingError("create topic %s: code %s %s" % (topic, code, remark))


def ready(namesrv, broker):
    if broker not in broker_addrs(namesrv):
        return False
    code, _, _ = invoke(broker, GET_BROKER_RUNTIME_INFO)
    return code == 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    try:
        if cmd == "ready":
            return 0 if ready(argv[2], argv[3]) else 1
        if cmd == "cluster":
            print(json.dumps(cluster_info(argv[2]), indent=1))
            return 0
        if cmd == "count":
            print(topic_count(argv[2], argv[3]))
            return 0
        if cmd == "create":
            create_topic(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 4)
            return 0
        if cmd == "stats":
            print(json.dumps(topic_stats(argv[2], argv[3])))
            return 0
    except (OSError, RemotingError, ValueError) as e:
        print("rmq_remoting: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
