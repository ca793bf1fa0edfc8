"""ctypes access to the client's C API from a Python consumer process.

The double is loaded RTLD_GLOBAL and every function is looked up in the
global namespace (dlsym(RTLD_DEFAULT)), so that under LD_PRELOAD the shim's
interposed definitions are the ones called, as for a linked C program.
"""
import ctypes
import os

RTLD_GLOBAL = getattr(os, "RTLD_GLOBAL", 0x100)
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
BROADCASTING, CLUSTERING = 0, 1


def load(lib_dir):
    ctypes.CDLL(os.path.join(lib_dir, "librocketmq.so"), mode=RTLD_GLOBAL)
    g = ctypes.CDLL(None)
    vp, cp, i, ll = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_longlong
    sigs = {
        "CreatePushConsumer": (vp, [cp]),
        "DestroyPushConsumer": (i, [vp]),
        "StartPushConsumer": (i, [vp]),
        "ShutdownPushConsumer": (i, [vp]),
        "SetPushConsumerGroupID": (i, [vp, cp]),
        "GetPushConsumerGroupID": (cp, [vp]),
        "Subscribe": (i, [vp, cp, cp]),
        "RegisterMessageCallback": (i, [vp, CALLBACK]),
        "RegisterMessageCallbackOrderly": (i, [vp, CALLBACK]),
        "UnregisterMessageCallback": (i, [vp]),
        "UnregisterMessageCallbackOrderly": (i, [vp]),
        "SetPushConsumerMessageModel": (i, [vp, i]),
        "SetPushConsumerThreadCount": (i, [vp, i]),
        "GetMessageId": (cp, [vp]),
        "GetMessageBody": (cp, [vp]),
        "GetMessageReconsumeTimes": (i, [vp]),
        "GetMessageQueueOffset": (ll, [vp]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(g, name)
        f.restype, f.argtypes = res, args
    return g
