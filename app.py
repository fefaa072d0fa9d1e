"""Entry point: page config, configuration check, login gate, and navigation built from the role.

A page not handed to st.navigation for the user's role cannot be opened, even by URL.
"""

from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st

from core.settings import SettingsError
from services.permissions import pages_for
from ui import auth, cache, nav
from ui.boot import settings
from ui.widgets import demo_banner, language_switch, md, show_flash, t, tighten_layout

# The tab icon is inline: a Material icon would make every browser fetch it from a public font server.
ICON = "data:image/png;base64," + base64.b64encode((Path(__file__).parent / "assets" / "icon.png").read_bytes()).decode()
st.set_page_config(page_title="Reform Plan Dashboard", page_icon=ICON, layout="wide")

PAGES = {
    "home": ("pages/home.py", "nav.home", ":material/home:"),
    "entry": ("pages/entry.py", "nav.entry", ":material/edit_note:"),
    "review": ("pages/review.py", "nav.review", ":material/fact_check:"),
    "rounds": ("pages/rounds.py", "nav.rounds", ":material/event_repeat:"),
    "overview": ("pages/overview.py", "nav.overview", ":material/dashboard:"),
    "heatmap": ("pages/heatmap.py", "nav.heatmap", ":material/grid_on:"),
    "present": ("pages/present.py", "nav.present", ":material/slideshow:"),
    "meetings": ("pages/meetings.py", "nav.meetings", ":material/groups:"),
    "plan": ("pages/plan.py", "nav.plan", ":material/account_tree:"),
    "users": ("pages/users.py", "nav.users", ":material/manage_accounts:"),
    "backup": ("pages/backup.py", "nav.backup", ":material/backup:"),
    "account": ("pages/account.py", "nav.account", ":material/person:"),
}

cache.start_run()
nav.leave_folder_page_mode()
tighten_layout()
try:
    settings().check_secure()
except SettingsError as exc:
    language_switch()
    st.error(t("error.unsafe_config", detail=str(exc)))
    st.stop()

actor = auth.current_actor()  # first: a new browser session starts in the account's language
language_switch()
if cache.is_demo():
    demo_banner()
auth.sync_browser_cookie()
if actor is None:
    # Every page's address shows the login form, so a link to a page (a heatmap cell, a round)
    # survives the login: the rerun after it runs the same address with the real page behind it.
    login = [st.Page("pages/login.py", title=t("nav.login"), icon=":material/login:", url_path="login", default=True)]
    login += [st.Page("pages/login.py", title=t("nav.login"), url_path=key) for key in PAGES if key != "home"]
    st.navigation(login, position="hidden").run()
    st.stop()

st.sidebar.markdown(f"**{md(actor.username)}** · {t('role.' + str(actor.role.value))}")
auth.logout_button(actor)
if auth.must_change_password():
    # A temporary password: the change form is the only page until a new password is saved, and
    # every page's address shows it, so the address typed or followed opens after the change.
    forced = [st.Page("pages/account.py", title=t("nav.account"), icon=":material/password:", url_path="home", default=True)]
    forced += [st.Page("pages/account.py", title=t("nav.account"), url_path=key) for key in PAGES if key != "home"]
    st.navigation(forced, position="hidden").run()
    st.stop()
pages = {
    key: st.Page(PAGES[key][0], title=t(PAGES[key][1]), icon=PAGES[key][2], url_path=key, default=(key == "home"))
    for key in pages_for(actor.role)
}
nav.register_pages(pages)
show_flash()
st.navigation(list(pages.values())).run()
