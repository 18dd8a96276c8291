"""Input text never drives the terminal: control characters print as ``\\xNN`` escapes, while
the styles tierform itself chooses still reach a colour terminal."""

from __future__ import annotations

import io

from rich.table import Table

from tierform.cli.common import _Console, styled
from tierform.core.printable import printable


def test_every_control_character_but_tab_and_newline_is_escaped():
    controls = [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)]
    for code in controls:
        assert printable(f"a{chr(code)}b") == f"a\\x{code:02x}b"
    kept = "tab\there\nnew line, café, Zoë, \U0001f600, \ufffd, [red]x[/]"
    assert printable(kept) is kept


def _terminal() -> tuple[_Console, io.StringIO]:
    out = io.StringIO()
    console = _Console(
        file=out,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        markup=False,
        emoji=False,
    )
    return console, out


def test_messages_and_table_cells_show_escapes_and_keep_tierforms_own_styles():
    console, out = _terminal()
    console.print(styled(("error:", "bold red"), " rows: \x1b[2J\x07 and \x9b31m"))
    table = Table("owner")
    table.add_row("\x1b]0;title\x07Ana")
    console.print(table)
    console.print("plain \x1b[5m text")
    text = out.getvalue()
    assert "\x1b[1;31merror:" in text  # the code's own style, as a terminal gets it
    assert "\\x1b[2J\\x07 and \\x9b31m" in text
    assert "\\x1b]0;title\\x07Ana" in text and "plain \\x1b[5m text" in text
    # Every ESC left is the start of one of rich's style codes (ESC [ digits m).
    rest = text
    for code in ("\x1b[1;31m", "\x1b[0m", "\x1b[1m"):
        rest = rest.replace(code, "")
    assert "\x1b" not in rest and "\x07" not in rest and "\x9b" not in rest
