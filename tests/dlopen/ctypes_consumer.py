"""ctypes_consumer.py - a Python consumer of the test double, through ctypes,
with the callback wrapper of the Python RocketMQ packages copied verbatim.

    python3 ctypes_consumer.py --lib PATH [--wrapper messense|apache|plain]
                               [--group G] [--topic T] [--orderly] [--global]

The library is loaded as the packages load it (ctypes.CDLL: RTLD_LOCAL unless
--global) and the functions are taken from the handle. The user callback
looks at the body: "raise" raises ValueError, "status:N" returns N (apache
and plain wrappers; the messense wrapper ignores the return value, as
rocketmq 0.4.4 does), "none" returns None, anything else succeeds. Each
callback prints "deliver id=<id> reconsume=<n> body=<body> ret=<what>".

Wrappers (see PYTHON.md):
  messense  rocketmq 0.4.4 (messense/rocketmq-python) PushConsumer.subscribe
  apache    rocketmq-client-python 2.0.0 PushConsumer.subscribe
  plain     the user function is the CFUNCTYPE callback itself
"""
import argparse
import ctypes
import sys
from ctypes import c_char_p, c_int, c_void_p
from enum import IntEnum


class ConsumeStatus(IntEnum):
    CONSUME_SUCCESS = 0
    RECONSUME_LATER = 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--wrapper", default="messense", choices=["messense", "apache", "plain"])
    ap.add_argument("--group", default="G1")
    ap.add_argument("--topic", default="T")
    ap.add_argument("--orderly", action="store_true")
    ap.add_argument("--global", dest="glob", action="store_true")
    a = ap.parse_args()

    dll = ctypes.CDLL(a.lib, mode=ctypes.RTLD_GLOBAL if a.glob else ctypes.RTLD_LOCAL)
    dll.CreatePushConsumer.restype = c_void_p
    dll.CreatePushConsumer.argtypes = [c_char_p]
    for f in ("DestroyPushConsumer", "StartPushConsumer", "ShutdownPushConsumer"):
        getattr(dll, f).argtypes = [c_void_p]
    dll.Subscribe.argtypes = [c_void_p, c_char_p, c_char_p]
    dll.GetMessageId.restype = c_char_p
    dll.GetMessageId.argtypes = [c_void_p]
    dll.GetMessageBody.restype = c_char_p
    dll.GetMessageBody.argtypes = [c_void_p]
    dll.GetMessageReconsumeTimes.argtypes = [c_void_p]
    CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)

    def user(msg):
        body = (dll.GetMessageBody(msg) or b"").decode()
        mid = (dll.GetMessageId(msg) or b"").decode()
        what = "0"
        try:
            if body == "raise":
                what = "raise"
                raise ValueError("poison " + mid)
            if body == "none":
                what = "None"
                return None
            if body.startswith("status:"):
                what = body[7:]
                return ConsumeStatus(int(body[7:])) if a.wrapper == "apache" else int(body[7:])
            return ConsumeStatus.CONSUME_SUCCESS if a.wrapper == "apache" else 0
        finally:
            print("deliver id=%s reconsume=%d body=%s ret=%s"
                  % (mid, dll.GetMessageReconsumeTimes(msg), body, what), flush=True)

    if a.wrapper == "messense":
        # rocketmq 0.4.4, rocketmq/client.py, PushConsumer.subscribe
        def _on_message(consumer, msg):
            exc = None
            try:
                user(msg)
            except Exception as e:
                exc = e
                return 1  # _CConsumeStatus.RECONSUME_LATER.value
            finally:
                if exc:
                    raise exc

            return 0  # _CConsumeStatus.CONSUME_SUCCESS.value
    elif a.wrapper == "apache":
        # rocketmq-client-python 2.0.0, rocketmq/client.py, PushConsumer.subscribe
        def _on_message(consumer, msg):
            exc = None
            try:
                consume_result = user(msg)
                if consume_result != ConsumeStatus.CONSUME_SUCCESS and consume_result != ConsumeStatus.RECONSUME_LATER:
                    raise ValueError('Consume status error, please use enum \'ConsumeStatus\' as response')
                return consume_result
            except BaseException as e:
                exc = e
                return ConsumeStatus.RECONSUME_LATER
            finally:
                if exc:
                    raise exc
    else:
        def _on_message(consumer, msg):
            return user(msg)

    func = CB(_on_message)
    c = dll.CreatePushConsumer(a.group.encode())
    dll.Subscribe(c, a.topic.encode(), b"*")
    reg = dll.RegisterMessageCallbackOrderly if a.orderly else dll.RegisterMessageCallback
    reg.argtypes = [c_void_p, CB]
    if reg(c, func) != 0:
        sys.exit(2)
    dll.StartPushConsumer(c)
    dll.ShutdownPushConsumer(c)
    dll.DestroyPushConsumer(c)


if __name__ == "__main__":
    main()
