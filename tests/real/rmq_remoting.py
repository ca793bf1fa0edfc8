#!/usr/bin/env python3
"""A tiny, Java-free client of the RocketMQ remoting protocol (JSON header
serialization), enough for the real-stack tests to ask a name server and a
broker a few questions quickly (a JVM start of the admin tool costs seconds).

Frame: int32 total length | int32 (serialize type << 24 | header length) |
header JSON | body. Bodies are fastjson text, which may have unquoted numeric
keys and object keys; the parsers below handle what is used here.

Command line:
  rmq_remoting.py ready NAMESRV BROKER      exit 0 when BROKER is registered, the name
                                            server serves its routes and it accepts a send
  rmq_remoting.py cluster NAMESRV           print the cluster info (JSON)
  rmq_remoting.py route NAMESRV TOPIC       print the topic's route (JSON); exit 1 if none
  rmq_remoting.py count BROKER TOPIC        print the number of messages in TOPIC
  rmq_remoting.py stats BROKER TOPIC        print per-queue min/max offsets (JSON)
  rmq_remoting.py create BROKER TOPIC [Q]   create TOPIC with Q queues (default 4)
"""
import json
import re
import socket
import struct
import sys
import time

SEND_MESSAGE = 10
GET_BROKER_CLUSTER_INFO = 106
GET_ROUTEINFO_BY_TOPIC = 105
GET_TOPIC_STATS_INFO = 202
GET_BROKER_RUNTIME_INFO = 28
UPDATE_AND_CREATE_TOPIC = 17
TOPIC_NOT_EXIST = 17
PERM_READ_WRITE = 6
# What ready() creates and sends to (1 queue, 1 small message per probe).
PROBE_TOPIC = "reconsume_probe"
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


def invoke(addr, code, ext=None, timeout=3.0, body=b""):
    """Sends one request; returns (response code, remark, body bytes)."""
    _opaque[0] += 1
    header = {"code": code, "flag": 0, "language": "JAVA", "opaque": _opaque[0],
              "serializeTypeCurrentRPC": "JSON", "version": 395,
              "extFields": {k: str(v) for k, v in (ext or {}).items()}}
    h = json.dumps(header).encode()
    frame = struct.pack(">ii", 4 + len(h) + len(body), len(h)) + h + body
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


def topic_route(namesrv, topic):
    """The name server's route of TOPIC (brokerDatas, queueDatas), or None."""
    code, remark, body = invoke(namesrv, GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
    if code == TOPIC_NOT_EXIST:
        return None
    if code != 0:
        raise RemotingError("route of %s: code %s %s" % (topic, code, remark))
    return _lenient_json(body.decode())


def route_served(namesrv, topic, broker):
    """True when the name server routes TOPIC to BROKER (host:port) with
    readable and writable queues: what a producer or consumer asks first."""
    route = topic_route(namesrv, topic)
    if not route:
        return False
    names = {d.get("brokerName") for d in route.get("brokerDatas") or []
             if broker in (d.get("brokerAddrs") or {}).values()}
    return any(q.get("brokerName") in names and q.get("writeQueueNums", 0) > 0
               and q.get("readQueueNums", 0) > 0 and (q.get("perm", 0) & PERM_READ_WRITE) == PERM_READ_WRITE
               for q in route.get("queueDatas") or [])


def send_probe(broker, topic, body=b"probe"):
    """Sends one message to TOPIC on BROKER (SEND_MESSAGE); returns its msgId.
    Raises RemotingError when the broker refuses it (busy, not yet serving)."""
    code, remark, _ = invoke(broker, SEND_MESSAGE, {
        "producerGroup": "reconsume_probe", "topic": topic, "defaultTopic": "TBW102",
        "defaultTopicQueueNums": 4, "queueId": 0, "sysFlag": 0,
        "bornTimestamp": int(time.time() * 1000), "flag": 0, "properties": "",
        "reconsumeTimes": 0, "unitMode": "false", "batch": "false"}, body=body)
    if code != 0:
        raise RemotingError("send to %s: code %s %s" % (topic, code, remark))


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


def not_ready(namesrv, broker):
    """None when BROKER is registered at NAMESRV and answers, a topic created
    on it is routed by the name server, and it accepts a send to that topic;
    else what is missing."""
    if broker not in broker_addrs(namesrv):
        return "broker %s not registered at name server %s" % (broker, namesrv)
    code, remark, _ = invoke(broker, GET_BROKER_RUNTIME_INFO)
    if code != 0:
        return "broker runtime info: code %s %s" % (code, remark)
    create_topic(broker, PROBE_TOPIC, 1)
    if not route_served(namesrv, PROBE_TOPIC, broker):
        return "name server does not route %s to %s yet" % (PROBE_TOPIC, broker)
    send_probe(broker, PROBE_TOPIC)
    return None


def ready(namesrv, broker):
    return not_ready(namesrv, broker) is None


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    try:
        if cmd == "ready":
            why = not_ready(argv[2], argv[3])
            if why:
                print("rmq_remoting: not ready: %s" % why, file=sys.stderr)
            return 1 if why else 0
        if cmd == "cluster":
            print(json.dumps(cluster_info(argv[2]), indent=1))
            return 0
        if cmd == "route":
            route = topic_route(argv[2], argv[3])
            print(json.dumps(route, indent=1))
            return 0 if route else 1
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
