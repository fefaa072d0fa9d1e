"""ui.widgets.thai_words: text the app lays out itself breaks only between PyThaiNLP's words, and
stays text (escaped for HTML, or for Markdown with HTML allowed)."""

import re

from ui.widgets import thai_words


def _words(out: str) -> list[str]:
    return re.findall(r'<span class="thai-w">(.*?)</span>', out)


def test_each_thai_word_is_one_no_break_span_and_breaks_lie_only_between_thai_words():
    out = thai_words("การกระจายอำนาจการตัดสินใจ (ถ่วงน้ำหนัก)")
    assert "กระจายอำนาจ" in _words(out)  # Chromium's own breaking gives "กระจา|ยอำนาจ"
    assert re.sub(r"<[^>]+>", "", out) == "การกระจายอำนาจการตัดสินใจ (ถ่วงน้ำหนัก)"  # the same text, no added character
    assert "<wbr>)" not in out and "(<wbr>" not in out  # no break before a closing bracket
    assert out.count("<wbr>") == len(_words(out)) - 2  # between the words of each run, not at its ends


def test_text_stays_text_in_html_and_in_markdown():
    hostile = "ผู้บริหาร <img src=x onerror=alert(1)> *ตัวหนา* [ลิงก์](http://x)"
    as_html = thai_words(hostile)
    assert "<img" not in as_html and "&lt;img" in as_html
    as_md = thai_words(hostile, markdown=True)
    assert re.search(r"(?<!\\)<img", as_md) is None and "\\<img" in as_md  # an escaped "<" starts no tag
    assert "\\*" in as_md and "\\[" in as_md
    assert "\u202e" not in thai_words("ชื่อ\u202eกลับด้าน")  # bidi controls left out, as everywhere
