"""Navigation: the pages app.py registered this run, Streamlit's folder-page mode left at once,
and the one round picker every page uses."""

from __future__ import annotations

import streamlit as st

from models import Round, RoundState
from ui import cache
from ui.widgets import round_label, t, url_selectbox


def leave_folder_page_mode() -> None:
    """Make sure pages are only reached through app.py's role-based st.navigation.

    With a pages/ folder beside app.py, Streamlit serves the first run of a fresh process in its
    old folder-based mode, where every file in pages/ is listed and reachable by URL. app.py's
    st.navigation call ends that mode, but only from the next run on; so the first run turns it
    off here and starts again, before anything is shown.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def register_pages(pages: dict[str, st.Page]) -> None:
    """app.py hands over the pages it gave st.navigation this run, by key (see nav_page)."""
    cache.run_state.pages = dict(pages)


def nav_page(key: str, path: str):  # a StreamlitPage, or `path`
    """The page registered as `key` this run, for st.page_link; `path` if none was. A link to a
    page object skips Streamlit's lookup by path (a realpath and a scan of every page, ~0.4 ms a
    link), which the overview's dozens of attention links paid on every rerun."""
    return getattr(cache.run_state, "pages", {}).get(key, path)


# ----------------------------------------------------------------------------- rounds
RoundKey = tuple[int, int]  # (fiscal year, months): how a URL names a round (?fy=2564&m=12)


def _round_from_url(by_key: dict[RoundKey, Round]) -> RoundKey | None:
    try:
        wanted = (int(st.query_params.get("fy", "")), int(st.query_params.get("m", "")))
    except ValueError:
        return None
    return wanted if wanted in by_key else None


def url_round() -> Round | None:
    """The round the URL names, else the current one (pages without a picker: presentation mode)."""
    all_rounds, current = cache.plan_rounds()
    by_key = {(r.fiscal_year, r.months): r for r in all_rounds}
    wanted = _round_from_url(by_key)
    return by_key[wanted] if wanted else current or (all_rounds[-1] if all_rounds else None)


def round_picker(container, *, key: str, in_url: bool = True, mark_closed: bool = False) -> Round | None:
    """The round a page shows, chosen in a selectbox in `container`: newest first, the current
    round (the open one, else the latest started) by default. `in_url`: the URL's ?fy=&m= picks
    it when it changes (a pasted or followed link) and the choice is written back, so the link
    keeps the view. `mark_closed` labels closed rounds. None when the plan has no round yet."""
    all_rounds, current = cache.plan_rounds()
    if not all_rounds:
        return None
    by_key = {(r.fiscal_year, r.months): r for r in all_rounds}
    keys = [(r.fiscal_year, r.months) for r in reversed(all_rounds)]
    default = (current.fiscal_year, current.months) if current else keys[0]

    def label(k: RoundKey) -> str:
        closed = mark_closed and by_key[k].state != RoundState.open
        return round_label(*k) + (f" ({t('round.state.closed')})" if closed else "")

    if in_url:
        chosen = url_selectbox(container, t("entry.round"), keys, _round_from_url(by_key) or default, key=key, format_func=label)
        st.query_params.update({"fy": str(chosen[0]), "m": str(chosen[1])})
    else:
        chosen = container.selectbox(t("entry.round"), keys, index=keys.index(default), key=key, format_func=label)
    return by_key[chosen]
