"""Streamlit building blocks shared by pages: translation and language, user text shown as text
(md, plain, clip), dates, the demo marker, refusals and toasts, the upload control, evidence."""

from __future__ import annotations

import functools
import html
import re
from datetime import date, datetime

import streamlit as st

from core import thaidate
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from core.palette import STATUS_COLOURS
from services import evidence
from services.errors import UserFacingError

LANG_KEY = "lang"
LANG_PICKED_KEY = "_lang_picked"  # chosen on the login page, before anyone is logged in
LANG_WIDGET_KEY = "lang_switch"


def lang() -> str:
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: object) -> str:
    return translate(key, lang(), **params)


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$&^=\"'@/%;,?")
# Bidi embeddings, overrides and isolates reorder what is shown (a "spoofed" name reads backwards);
# stored as typed, they are left out of what is displayed.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# Streamlit's Markdown also turns bare addresses (http://…, www.…, a@b.c) into links and :name: into
# emoji *after* parsing, on the text itself, so escaping cannot stop them: an invisible word joiner
# (U+2060) before each such address and after such a colon does.
_WJ = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?:|ftp:|mailto:|www\.)")
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@")
_SHORTCODE = re.compile(r":(?=[\w+-]+:)")
_THAI = re.compile("[\u0e00-\u0e7f]")


def plain(value: object) -> str:
    """`value` as text to show: None as "", bidi controls left out (see BIDI_CONTROLS)."""
    return ("" if value is None else str(value)).translate(BIDI_CONTROLS)


def md(value: object) -> str:
    """`value` (anything a user typed or an admin named: narratives, comments, names, file names)
    as literal text inside Streamlit Markdown, which every text element, label, toast and error
    box renders: every ASCII punctuation mark is backslash-escaped, so links, images, emphasis,
    headings, lists, tables, LaTeX ($), emoji and colour directives (:red[…]) never form; bare
    addresses and :shortcodes: are broken by a word joiner; line breaks stay line breaks and
    leading spaces no code block."""
    text = plain(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    text = _SHORTCODE.sub(":" + _WJ, _EMAIL_AT.sub(_WJ + "@", _AUTOLINK.sub(lambda m: _WJ + m.group(0), text)))
    escaped = "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    out = []
    for line in escaped.split("\n"):
        body = line.lstrip(" \t")
        out.append("\u00a0" * (len(line) - len(body)) + body)
    return "  \n".join(out)


def clip(value: object, limit: int = 400) -> str:
    """`value` as text to show (`plain`), cut to `limit` characters with a visible note of how
    much was left out (a card, a table cell or a slide never silently drops text, nor grows
    without end)."""
    text = plain(value)
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + " … " + t("text.clipped", shown=f"{limit:,}", total=f"{len(text):,}")


def fmt_date(d: date, *, short: bool = False) -> str:
    return thaidate.format_date(d, short=short, lang=lang())


def fmt_datetime(dt: datetime) -> str:
    return thaidate.format_local_datetime(dt, lang=lang())


def round_label(fiscal_year: int, months: int) -> str:
    return t("round.label", fy=fiscal_year, months=months)


def _language_changed() -> None:
    choice = st.session_state.get(LANG_WIDGET_KEY)
    if choice in LANGUAGES:  # clicking the active option deselects it: keep the language
        st.session_state[LANG_KEY] = choice
        from ui import session  # ui.session imports this module

        who = session.actor()
        if who is None:  # on the login page: it becomes the account's language at login
            st.session_state[LANG_PICKED_KEY] = choice
        else:  # kept for the account's next login (an audited write, no cache emptied)
            from services import users

            with session.write_session(who) as s:
                users.set_language(session=s, actor=who, language=choice)


def language_switch() -> None:
    """Thai/English toggle in the sidebar. The choice lasts for the browser session and is kept on
    the account; a new browser session starts in the account's language (ui.auth.current_actor)."""
    current = lang()
    st.session_state[LANG_KEY] = current
    st.session_state[LANG_WIDGET_KEY] = current
    st.sidebar.segmented_control(
        translate("lang.label", current),
        options=list(LANGUAGES),
        key=LANG_WIDGET_KEY,
        format_func=lambda code: translate(f"lang.{code}", code),
        selection_mode="single",
        on_change=_language_changed,
    )


def url_selectbox(container, label: str, options: list, wanted, *, key: str, format_func) -> object:
    """A selectbox whose value follows the URL when the URL changes (a pasted or followed link)
    and the user's choice otherwise. Keyed, so changing the value never swaps the widget for a
    new one (an unkeyed widget whose default moves is a new widget, and the page flickers)."""
    seen = f"_{key}_from_url"
    if key not in st.session_state or st.session_state.get(seen) != wanted:
        st.session_state[key] = wanted
    value = container.selectbox(label, options, key=key, format_func=format_func)
    st.session_state[seen] = value  # the page writes `value` back into the URL
    return value


def chart_labels() -> dict[str, str]:
    """Every caption core.charts.heatmap and item_trend need, in the user's language."""
    labels = {
        "agency": t("users.agency"),
        "sub_issue": t("col.sub_issue"),
        "progress": t("col.progress"),
        "expected": t("heatmap.expected"),
        "status": t("field.status"),
        "state": t("col.state"),
        "target": t("entry.target"),
        "actual": t("field.actual_value"),
        "unit": t("heatmap.unit"),
        "updated_by": t("history.who"),
        "updated_at": t("history.when"),
        "change": t("heatmap.measure.change"),
        "lang": lang(),  # the names the charts show (core.names)
    }
    states = ("not_reported", "draft", "submitted", "approved", "returned")
    labels |= {f"state.{s}": t(f"state.{'missing' if s == 'not_reported' else s}") for s in states}
    return labels | {f"status.{s}": t(f"status.{s}") for s in STATUS_COLOURS}


def tighten_layout() -> None:
    """Less empty margin round the page, so grids and tables keep their width on a laptop and
    a projector (Streamlit's wide layout leaves 5rem each side and 6rem on top). The top keeps
    clear of the page header (3.75rem, drawn over the page): less would hide the demo banner's
    first line and cut its Thai tone marks."""
    st.html(
        "<style>[data-testid='stMainBlockContainer']"
        "{padding-top:4.5rem;padding-left:2rem;padding-right:2rem;max-width:100%}"
        # a metric's label and delta wrap (the browser breaks Thai between words) instead of
        # being cut with an ellipsis: "รายการยังไม่รายง…", "+12.8 จุด จากรอบ…"
        "[data-testid='stMetricLabel'] *,[data-testid='stMetricDelta'] *"
        "{white-space:normal !important;overflow:visible !important;text-overflow:clip !important}"
        "[data-testid='stMetricDelta']{height:auto !important;max-width:100%}"
        # Streamlit's `word-break: break-word` acts as `overflow-wrap: anywhere`: a box sized to
        # its content (a flex item, a column, a table cell) may then shrink to one character and
        # break Thai inside a syllable ("กระจา|ยอำนาจ"). Breaks are left to the line breaker and
        # to the word boundaries the app marks (thai_words); a word longer than a line still wraps.
        "[data-testid='stAppViewContainer'] *,[data-testid='stSidebar'] *"
        "{word-break:normal !important;overflow-wrap:break-word}"
        ".thai-w{white-space:nowrap}"
        ".thai-caption{font-size:0.875rem;color:rgba(49,51,63,0.6);margin:0}"
        # a phone: headings a size smaller, so a page title takes one or two lines, not five
        "@media (max-width:640px){"
        "[data-testid='stMain'] h1{font-size:1.75rem !important;line-height:1.3 !important}"
        "[data-testid='stMain'] h2{font-size:1.4rem !important;line-height:1.3 !important}"
        "[data-testid='stMain'] h3{font-size:1.2rem !important;line-height:1.35 !important}"
        "[data-testid='stMainBlockContainer']{padding-left:1rem;padding-right:1rem}}</style>"
    )


def thai_words(text: str, *, markdown: bool = False) -> str:
    """`text` as HTML in which a line breaks only between Thai words (PyThaiNLP's dictionary): each
    Thai word is a no-break span and the words are joined by <wbr> (a break opportunity that adds
    no character, so the text read, copied, searched and named by a heading stays the same). The browser's own
    Thai breaking (ICU's dictionary in Chromium) splits words ("กระจา|ยอำนาจ", "ขั้น|ตอน");
    for text the app lays out itself (names joined into a caption, a heading made of plan names).
    The words are HTML-escaped, or with `markdown` escaped as `md` does (for st.markdown with
    unsafe_allow_html, where the text between the spans is still read as Markdown)."""
    return _thai_words(plain(text), markdown)


def title(text: str, where=st, *, level: int = 1) -> None:
    """st.title whose Thai breaks between PyThaiNLP's words (`thai_words`): `text` is shown as text,
    whatever it holds. Every page title goes through here; `where`: a column or container;
    `level` 2 for st.header's size."""
    # the empty span marks the app's own title (a "# …" typed into a text never becomes a heading: md)
    where.markdown(f'{"#" * level} <span class="page-title"></span>{thai_words(text, markdown=True)}', unsafe_allow_html=True)


def subheader(text: str) -> None:
    """st.subheader whose Thai breaks between PyThaiNLP's words (`thai_words`): `text` is shown as
    text, whatever it holds. Every section heading goes through here."""
    st.markdown(f"### {thai_words(text, markdown=True)}", unsafe_allow_html=True)


@functools.lru_cache(maxsize=4096)
def _thai_words(text: str, markdown: bool) -> str:
    from pythainlp.tokenize import word_tokenize

    escape = md if markdown else html.escape
    out, thai_before = [], False
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        thai = bool(_THAI.search(word))
        if thai and thai_before:  # a break between two Thai words; none before ")" or after "("
            out.append("<wbr>")
        if thai and len(word) > 1:
            out.append(f'<span class="thai-w">{escape(word)}</span>')
        else:
            out.append(word if word.isspace() else escape(word))
        thai_before = thai
    return "".join(out)


def demo_banner() -> None:
    """The visible marker shown on every page while the demo database is in use."""
    st.warning(t("demo.banner"), icon=":material/science:")


def show_refusal(exc: UserFacingError, icon: str = ":material/error:") -> None:
    """A service's refusal, in the user's language."""
    params = {name: md(t(f"field.{value}") if name == "field" else value) for name, value in exc.params.items()}
    st.error(t(exc.message_key, **params), icon=icon)


def _css_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def file_uploader(label: str, *, types: list[str] | None, max_mb: int, kinds: str, key: str, help: str | None = None):
    """st.file_uploader that speaks the user's language and states one limit. Streamlit's drop
    zone is English ("Upload", "25MB per file • …") and refuses an over-size file in the browser
    with an English tooltip; here the widget's own limit is `max_mb` (so the browser refuses what
    the service would) and its texts are replaced, scoped to this widget, with catalog texts.
    `types=None` takes a file of any type, for a service that names the allowed types in Thai
    itself (with `types`, Streamlit refuses another type in English: "application/x-ms-dos-executable
    files are not allowed")."""
    limit = t("upload.limit", mb=max_mb, kinds=kinds)
    st.html(
        f"""<style>
        .st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0;}}
        .st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{
            content: {_css_text(limit)}; font-size: 0.875rem;}}
        .st-key-{key} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{font-size: 0;}}
        .st-key-{key} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
            content: {_css_text(t("upload.choose"))}; font-size: 1rem;}}
        .st-key-{key} [data-testid="stFileChip"][aria-invalid="true"] span[role="alert"] {{
            position: static; clip: auto; clip-path: none; width: auto; height: auto; overflow: visible;
            white-space: normal; font-size: 0; display: block; margin-left: 0.5rem;}}
        .st-key-{key} [data-testid="stFileChip"][aria-invalid="true"] span[role="alert"]::after {{
            content: {_css_text(t("upload.refused", mb=max_mb, kinds=kinds))}; font-size: 0.875rem;
            color: #b91c1c;}}
        </style>"""
    )
    return st.file_uploader(label, type=types, key=key, max_upload_size=max_mb, help=help)


FLASH_KEY = "_flash"


def flash(message: str) -> None:
    """A toast shown on the next run (a toast raised just before st.rerun would be lost)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(message, icon=":material/check_circle:")


def evidence_item(container, ev, *, actor, evidence_dir, key: str) -> None:
    """One evidence item: a link, or a download button that re-reads the file through the service
    (which re-checks that `actor` may see the agency's report) only when clicked.

    A link is built as HTML from the parsed, percent-encoded address (services.evidence.safe_href),
    never pasted into Markdown, where a ")" or "]" in it could make another link or an image. A
    stored address that is not a valid http(s) link (saved before the strict rule) shows as text."""
    if ev.kind == "link":
        if not evidence_link(container, ev.url or ""):
            container.caption(f"{md(ev.url)} · {t('evidence.link_not_valid')}")
        return
    stored_file_button(
        container,
        f"{md(ev.original_name)} ({ev.size_bytes / 1024:,.0f} KB)",
        evidence.read_file,
        file_name=ev.original_name,
        mime=ev.content_type,
        key=key,
        actor=actor,
        evidence_id=ev.id,
        evidence_dir=evidence_dir,
    )


def evidence_link(container, url: str, *, indent: str = "0") -> bool:
    """An evidence address as an HTML anchor built from the parsed, percent-encoded address; False
    (nothing drawn) when it is not a valid http(s) link."""
    href = evidence.safe_href(url)
    if href is None:
        return False
    container.html(
        f'<p style="margin:0 0 0.5rem {indent}">🔗 <a href="{html.escape(href, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer nofollow">{html.escape(url or href)}</a></p>'
    )
    return True


def stored_file_button(container, label: str, reader, *, file_name: str, key: str, mime: str | None = None, **read_args) -> None:
    """A download of a stored file read through its service (`reader`, which re-checks who may
    see it and returns an object with `.data`) only when clicked."""

    def load() -> bytes:
        from ui.cache import read  # ui.cache needs nothing from here; imported when a file is fetched

        return read(reader, **read_args).data

    container.download_button(
        label,
        data=load,
        file_name=file_name,
        mime=mime,
        key=key,
        icon=":material/download:",
        on_click="ignore",  # a rerun would drop the deferred file before its request arrives
    )


def be_date_input(label: str, value: date | None, *, key: str, optional: bool = False) -> date | None:
    """A date picked as a Thai reads it: day, month name, Buddhist-Era year (Streamlit's own date
    picker shows Christian-Era years). None when `optional` and left empty, or when the day does
    not exist in that month (the caller says so)."""
    st.markdown(f"<small>{html.escape(label)}</small>", unsafe_allow_html=True)
    c1, c2, c3 = st.columns([1, 2, 1.3])
    empty = [None] if optional else []
    months = thaidate.MONTHS_TH if lang() == "th" else thaidate.MONTHS_EN
    day = c1.selectbox(
        t("date.day"),
        [*empty, *range(1, 32)],
        index=0 if value is None else len(empty) + value.day - 1,
        key=f"{key}_d",
        format_func=lambda d: "–" if d is None else str(d),
        label_visibility="collapsed",
    )
    month = c2.selectbox(
        t("date.month"),
        [*empty, *range(1, 13)],
        index=0 if value is None else len(empty) + value.month - 1,
        key=f"{key}_m",
        format_func=lambda m: "–" if m is None else months[m - 1],
        label_visibility="collapsed",
    )
    this_year = date.today().year
    first, last = min(this_year, value.year if value else this_year) - 2, max(this_year, value.year if value else this_year) + 3
    be_years = [y + thaidate.BE_OFFSET for y in range(first, last + 1)]
    year = c3.selectbox(
        t("date.year"),
        [*empty, *be_years],
        index=0 if value is None else len(empty) + be_years.index(value.year + thaidate.BE_OFFSET),
        key=f"{key}_y",
        format_func=lambda y: "–" if y is None else str(y),
        label_visibility="collapsed",
    )
    if day is None or month is None or year is None:
        return None
    try:
        return date(year - thaidate.BE_OFFSET, month, day)
    except ValueError:
        return None
