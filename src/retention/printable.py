"""Text from department files and landing folders, fit to print on a terminal, in a log or a
notification: a control character there (an escape sequence drives the terminal that shows
it, a line break starts a line that looks like ours) is written as its escape instead."""

from __future__ import annotations


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
