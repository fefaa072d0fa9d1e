"""Small Streamlit building blocks shared by pages: translation, language, demo marker, dates."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from core import runtime, thaidate
from core.charts import STATUS_COLOURS
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from services import evidence
from services.errors import UserFacingError

LANG_KEY = "lang"
LANG_WIDGET_KEY = "lang_switch"


def lang() -> str:
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: object) -> str:
    return translate(key, lang(), **params)


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


def language_switch() -> None:
    """Thai/English toggle in the sidebar; the choice lasts for the browser session."""
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


def url_selectbox(container, label: str, options: list, wanted, *, key: str, format_func) -> object:  # noqa: ANN001
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
    }
    states = ("not_reported", "draft", "submitted", "approved", "returned")
    labels |= {f"state.{s}": t(f"state.{'missing' if s == 'not_reported' else s}") for s in states}
    return labels | {f"status.{s}": t(f"status.{s}") for s in STATUS_COLOURS}


def tighten_layout() -> None:
    """Less empty margin round the page, so grids and tables keep their width on a laptop and
    a projector (Streamlit's wide layout leaves 5rem each side and 6rem on top)."""
    st.html(
        "<style>[data-testid='stMainBlockContainer']"
        "{padding-top:2.5rem;padding-left:2rem;padding-right:2rem;max-width:100%}</style>"
    )


def demo_banner() -> None:
    """The visible marker shown on every page while the demo database is in use."""
    st.warning(t("demo.banner"), icon=":material/science:")


def show_refusal(exc: UserFacingError, icon: str = ":material/error:") -> None:
    """A service's refusal, in the user's language."""
    st.error(t(exc.message_key, **exc.params), icon=icon)


FLASH_KEY = "_flash"


def flash(message: str) -> None:
    """A toast shown on the next run (a toast raised just before st.rerun would be lost)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(message, icon=":material/check_circle:")


def evidence_item(container, ev, *, actor, evidence_dir, key: str) -> None:  # noqa: ANN001
    """One evidence item: a link, or a download button that re-reads the file through the service
    (which re-checks that `actor` may see the agency's report) only when clicked."""
    if ev.kind == "link":
        container.markdown(f":material/link: [{ev.url}]({ev.url})")
        return

    def load(ev_id: int = ev.id) -> bytes:
        with runtime.read_session() as session:
            return evidence.read_file(session=session, actor=actor, evidence_id=ev_id, evidence_dir=evidence_dir).data

    container.download_button(
        f"{ev.original_name} ({ev.size_bytes / 1024:,.0f} KB)",
        data=load,
        file_name=ev.original_name,
        mime=ev.content_type,
        key=key,
        icon=":material/download:",
    )
