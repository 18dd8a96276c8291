"""Text from inputs made safe to print on a terminal.

A CRM export, a roster or a platform's answer may hold control characters: an escape sequence
(ESC ``[2J``, a title change, a hyperlink) printed raw would drive the user's terminal instead
of being read. Printed text shows each control character as its ``\\xNN`` escape, as ``repr``
does; line breaks and tabs stay. JSON output needs none of this (its encoder escapes them).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F: U+009B is a
# one-character CSI to some terminals).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character but tab and newline written as ``\\xNN``."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)
