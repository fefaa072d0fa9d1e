"""Thai line breaking for the PDF: between dictionary words (pythainlp), never inside a cluster of
a consonant and its vowels and tone marks, with the width measured by the PDF's own font."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

THAI = re.compile(r"[\u0e00-\u0e7f]")
COMBINING = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
_OPENING = "([{“‘\"'"
_CLOSING = ")]}”’\"',.:;!?%…ๆฯ/"


@functools.lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """Break opportunities: Thai words (pythainlp's dictionary tokenizer), spaces kept."""
    if not THAI.search(text):
        return tuple(re.findall(r"[^\s/]+/?|/|\s+", text))  # a break may follow "/"
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    glue_next = False
    tokens = word_tokenize(text, engine="newmm", keep_whitespace=True)
    for word in (part for token in tokens for part in re.findall(r"[^/]+/?|/", token)):
        if words and not word.isspace() and (glue_next or word[0] in _CLOSING):
            words[-1] += word  # no break after "(" nor before ")", ",", "ๆ" …
        else:
            words.append(word)
        glue_next = not word.isspace() and word[-1] in _OPENING
    return tuple(words)


def clusters(word: str) -> list[str]:
    """Grapheme clusters: a base character with its Thai vowel and tone marks."""
    out: list[str] = []
    for ch in word:
        if out and COMBINING.match(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


HIGHLIGHT_MAX_LINES = 12  # a highlight's text in the PDF; past it the text is cut, with a note saying so


def wrap(measure: Callable[[str], float], text: str, width: float) -> list[str]:
    """Lines of `text` no wider than `width`, broken between words (Thai words found with a
    dictionary, since Thai has no spaces between words); a word wider than a line is broken
    between grapheme clusters, never between a consonant and its vowel or tone marks."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line, line_w = "", 0.0
        for word in words(paragraph):
            w = measure(word)
            if line_w + w <= width or (not line and w <= width):
                line, line_w = line + word, line_w + w
                continue
            if word.isspace():
                continue  # the space at a break disappears
            if line.strip():
                lines.append(line.rstrip())
            line, line_w = "", 0.0
            if w <= width:
                line, line_w = word, w
                continue
            for cluster in clusters(word):
                cw = measure(cluster)
                if line and line_w + cw > width:
                    lines.append(line)
                    line, line_w = "", 0.0
                line, line_w = line + cluster, line_w + cw
        lines.append(line.rstrip())
    return lines or [""]


def fit(measure: Callable[[str], float], text: str, width: float) -> str:
    """`text`, cut between grapheme clusters with '…' when wider than `width`."""
    if measure(text) <= width:
        return text
    out = ""
    for cluster in clusters(text):
        if measure(out + cluster + "…") > width:
            break
        out += cluster
    return out.rstrip() + "…"
