"""Hostile: writes its own 'replies' straight into the grader's reply channel."""

import os
import struct
import sys

_replies = int(sys.argv[3])  # the worker's command line names the reply pipe


def __getattr__(name):
    def forge(*args, **kwargs):
        body = b'{"value": {"__array__": ["|O", [1]], "data": ""}}'
        os.write(_replies, struct.pack(">Q", len(body)) + body)
        os.write(_replies, struct.pack(">Q", 2**40) + b"{")
        return None

    return forge
