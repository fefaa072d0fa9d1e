"""ui.widgets.md: text people typed, shown inside Streamlit Markdown, reads exactly as typed and
forms no markup (the browser check is tests/reliability/test_hostile_text.py)."""

import re
import string

import pytest

from tests.reliability import hostile
from ui.widgets import md, plain


def _as_read(markdown: str) -> str:
    """What the renderer shows: escapes resolved, word joiners invisible, hard breaks as breaks."""
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace("  \n", "\n"))
    return text.replace("\u2060", "").replace("\u00a0", " ")


@pytest.mark.parametrize("text", list(hostile.ACCEPTED.values()), ids=list(hostile.ACCEPTED))
def test_the_corpus_reads_as_typed(text):
    assert _as_read(md(text)) == plain(text).replace("\r\n", "\n").replace("\r", "\n")


def test_every_ascii_punctuation_mark_is_escaped():
    escaped = md(string.punctuation)
    assert re.fullmatch(r"(\\.)+", escaped.replace("\u2060", "")), escaped


@pytest.mark.parametrize(
    "text", ["ดูที่ http://a.invalid/x", "www.a.invalid", "HTTPS://A.INVALID", "ติดต่อ a.b@c.invalid", ":streamlit: :smile:"]
)
def test_bare_addresses_and_shortcodes_are_broken_by_a_word_joiner(text):
    out = md(text)
    assert not re.search(r"(?<![\u2060])(https?\\?:|www\\?\.)", out, re.I)
    assert not re.search(r"[\w.+-]\\?@", out.replace("\u2060\\@", ""))
    assert not re.search(r"\\:[\w+-]+\\:", out)


def test_bidi_controls_are_left_out_of_what_is_shown():
    assert plain("ab\u202ecd\u202c\u2066ef\u2069") == "abcdef"
    assert "\u202e" not in md("x\u202ey")
