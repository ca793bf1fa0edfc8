"""The program's name, the error that ends a report, and reading a file."""
from __future__ import annotations

import sys

PROG = "reconsume-report"


class InputError(Exception):
    """A file that cannot be used: one or more 'file:line: reason' lines."""

    def __init__(self, lines):
        super().__init__("\n".join(lines))
        self.lines = list(lines)

    @classmethod
    def first_of(cls, problems, more="problems"):
        """One line for several problems: the first, and how many others."""
        line = problems[0]
        if len(problems) > 1:
            line += f" (and {len(problems) - 1} more {more})"
        return cls([line])


def show(s, n=40):
    """A short, quoted excerpt of untrusted text for an error message."""
    s = s if len(s) <= n else s[:n] + "..."
    return repr(s)


def read_bytes(path):
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError([f"{path}: {e.strerror or e}"])
