"""AppTest fixtures: the real app.py on a private copy of the demo database."""

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from ui import cache

APP_TIMEOUT = 60
APP_FILE = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run app.py the way the server does once st.navigation has been called.

    With a pages/ folder beside app.py, Streamlit starts a process in its old folder-based mode
    and leaves it as soon as app.py calls st.navigation. AppTest resets that flag before every
    run, which would make each rerun execute a page file without app.py's login gate.
    """
    from streamlit.runtime import pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        pages_manager.PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(pages_manager.PagesManager, "__init__", init)


@pytest.fixture
def app_env(monkeypatch, demo_sqlite_path):
    for var in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SQLITE_PATH", str(demo_sqlite_path))
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    st.cache_resource.clear()
    st.cache_data.clear()
    cache.forget_rounds()
    db.dispose_engines()
    yield demo_sqlite_path
    st.cache_resource.clear()
    db.dispose_engines()


@pytest.fixture
def app(app_env):
    at = AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT)
    return at.run()


def login(at: AppTest, username: str, password: str = "demo2563") -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label in ("เข้าสู่ระบบ", "Log in")).click()
    return at.run()


def shown(markdown: str) -> str:
    """What a person reads from a Markdown element's source: the pages escape every punctuation
    mark of user-entered text (ui.widgets.md), which the browser shows without the backslashes,
    and mark Thai word boundaries with tags (ui.widgets.thai_words), which show nothing. An escaped
    "\\<" starts no tag."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", re.sub(r"(?<!\\)<[^<>]+>", "", markdown))


def _headings(at: AppTest, marker: str) -> list[str]:
    return [shown(m.value[len(marker) :]) for m in at.markdown if m.value.startswith(marker)]


def titles(at: AppTest) -> list[str]:
    """The page titles shown (ui.widgets.title: "# " Markdown), as read."""
    return _headings(at, "# ")


def subheaders(at: AppTest) -> list[str]:
    """The section headings shown (ui.widgets.subheader: "### " Markdown), as read."""
    return _headings(at, "### ")
