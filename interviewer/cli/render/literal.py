"""Showing other people's text on a terminal exactly as it is, and harmlessly.

Answers, candidate names, ids, file names, judge feedback and question banks come from
other people. Printed raw, an escape sequence in them can clear the screen, retitle the
window or hide text, and a `[/bold]` would be read as rich markup (or crash it). Every
screen passes such text through `literal()` (a rich Text, never parsed as markup) or
`visible()` (a plain string for documents such as the Markdown export): control
characters become visible escapes like `\\x1b`, and the text is otherwise unchanged. The
store and every JSON output keep the text verbatim.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls (except tab and newline, which layout needs), DEL, C1 controls, the Unicode
# line/paragraph separators, and the bidirectional overrides and isolates that can make
# text read differently from what it is ("Trojan Source").
_LAYOUT_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, *, multiline: bool = True) -> str:
    """TEXT with every control character shown as an escape (`\\x1b`, `\\x07`, `\\u202e`).

    `multiline` keeps newlines and tabs (answers, prompts, feedback); without it they are
    escaped too, for one-line fields (ids, names, table cells) that must not fake a new row.
    """
    string = "" if text is None else str(text)
    if multiline:
        string = string.replace("\r\n", "\n")  # a Windows line end is just a line end
    return (_LAYOUT_UNSAFE if multiline else _LINE_UNSAFE).sub(_escape, string)


def literal(text: object, style: str = "", *, multiline: bool = True) -> Text:
    """TEXT as a rich Text shown literally: control characters visible, never read as markup."""
    return Text(visible(text, multiline=multiline), style=style)


def field(text: object, style: str = "") -> Text:
    """A one-line field (an id, a name, a file): newlines and tabs are escaped too."""
    return literal(text, style, multiline=False)


def in_markup(text: object) -> str:
    """A one-line field to put inside a rich markup string: visible, and its brackets escaped."""
    from rich.markup import escape

    return escape(visible(text, multiline=False))
