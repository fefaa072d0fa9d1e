"""English mode names the plan's things in English on every page: agency short names, sub-issue
names (the same on every page) and units come from the plan's English names, never its Thai ones.

Each check reads the widgets that show those names (table columns, expander and link labels, the
chart's data, the detail panel, the target lines) and looks for Thai letters in them; the plan's
own narratives (indicators, achievements) have no English and stay Thai, so they are not read."""

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.db import make_engine
from services.plan_loader import load_plan_file
from tests.apptest.conftest import APP_FILE, APP_TIMEOUT, login, shown, subheaders, titles
from tests.apptest.test_heatmap_page import _rows

ROOT = Path(APP_FILE).parent
PAGES = {name: str(ROOT / "pages" / f"{name}.py") for name in ("overview", "heatmap", "entry", "review")}
THAI = re.compile(r"[\u0e00-\u0e7f]")
PLAN = load_plan_file(ROOT / "data" / "plan_demo.yaml")
SUB_EN = {s.code: s.name_en for m in PLAN.main_issues for s in m.sub_issues}
AGENCY_EN = {a.code: a.short_name_en for a in PLAN.agencies}
AGENCY_TH = {a.short_name_th for a in PLAN.agencies}
SUB_TH = {s.name_th for m in PLAN.main_issues for s in m.sub_issues}
UNIT_TH = {a.unit for m in PLAN.main_issues for s in m.sub_issues for a in s.assignments}


def _no_thai(where: str, texts) -> None:
    texts = [str(x) for x in texts]
    assert texts, f"{where}: nothing to check"
    thai = [x for x in texts if THAI.search(x)]
    assert thai == [], f"{where} shows Thai in English mode: {thai[:5]}"


def _english(app_env, *usernames: str) -> None:
    """The accounts' language is English: they land in English when they log in."""
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.begin() as conn:
        for username in usernames:
            conn.execute(sa.text("UPDATE app_user SET language = 'en' WHERE username = :u"), {"u": username})
    engine.dispose()


def _open(username: str, page: str | None = None, state: dict | None = None, **query) -> AppTest:
    """The page as `username` sees it first; `state` presets widgets by key (a rerun of a page
    with a selectbox in English trips AppTest, which formats options outside the script run)."""
    at = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), username)
    assert titles(at)[0] == "Home", "the account's language was not taken"
    for key, value in (state or {}).items():
        at.session_state[key] = value
    if page:
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    return at


def _frame_column(at: AppTest, column: str) -> list:
    values = [v for df in at.dataframe if column in df.value.columns for v in df.value[column].dropna()]
    assert values, f"no table has the column {column!r}"
    return values


@pytest.fixture
def english(app_env):
    _english(app_env, "chair", "secretariat", "focal_bla")
    return app_env


def test_home_names_the_agency_in_english(english):
    at = _open("focal_bla")
    line = next(shown(m.value) for m in at.markdown if "You report for" in shown(m.value))
    assert "**BLA**" in line and "Bureau of Legal Affairs" in line
    subs = _frame_column(at, "Sub-issue")
    _no_thai("home: the focal point's items", subs)
    assert f"1.1 {SUB_EN['1.1']}" in subs
    behind = next(shown(str(w.value)) for w in _open("secretariat").markdown if "Agencies" in shown(str(w.value)))
    assert not AGENCY_TH & set(re.split(r", |: ", behind)), behind
    _no_thai("home: agencies not yet submitted", [behind.split(":", 1)[1]])


def test_overview_tables_links_and_cards_use_english_names(english):
    at = _open("chair", "overview", fy="2564", m="12")
    _no_thai("overview: agency columns", _frame_column(at, "Agency"))
    links = [shown(el.proto.label) for el in at.get("page_link") if el.proto.page == "heatmap"]
    cells = [link for link in links if " · " in link]
    assert cells, links
    _no_thai("overview: attention links", [link.rsplit(" · ", 1)[0] if "%" in link else link for link in cells])
    cards = [shown(m.value) for m in at.markdown if shown(m.value).startswith("**") and " · " in m.value]
    assert cards
    _no_thai("overview: highlight card titles", cards)


def test_heatmap_chart_table_and_detail_use_english_names_and_units(english):
    at = _open("chair", "heatmap", fy="2564", m="12", cell="BPS~2.4")
    rows = _rows(at)
    for column in ("agency_short_name", "sub_issue_name_th", "unit"):
        _no_thai(f"heatmap chart: {column}", rows[column].dropna().unique())
    assert set(rows["agency_short_name"]) == set(AGENCY_EN.values())
    layers = json.loads(at.get("vega_lite_chart")[0].proto.spec)["spec"]["layer"]
    tooltip = {t["field"] for layer in layers for t in layer.get("encoding", {}).get("tooltip", [])}
    assert {"agency_short_name", "sub_issue_name_th", "unit"} <= tooltip  # what the tooltip reads is English
    _no_thai("heatmap: by-agency table", _frame_column(at, "Agency"))
    assert subheaders(at)[0] == "BPS · 2.4"
    detail = [shown(c.value) for c in at.caption] + [shown(m.value) for m in at.markdown if "**Target:**" in m.value]
    assert f"Bureau of Policy and Strategy — {SUB_EN['2.4']}" in detail
    target = next(d for d in detail if "**Target:**" in d)
    assert "dashboards" in target and not THAI.search(target)
    shown_text = [shown(c.value) for c in at.caption] + [el.proto.body for el in at.get("html")]
    main_names = [text for text in shown_text if "Main issue 1:" in text]
    assert main_names, shown_text
    _no_thai("heatmap: main-issue names", main_names)


def test_entry_and_review_name_sub_issues_agencies_and_units_in_english(english):
    entry = _open("focal_bla", "entry")
    labels = [e.label for e in entry.expander if re.match(r"\d+\\?\.\d+ ", e.label)]
    assert len(labels) == 2
    _no_thai("entry: item headings", [shown(label).rsplit(" — ", 1)[0] for label in labels])
    agency = next(i.value for i in entry.text_input if i.label == "Agency")
    assert agency == "BLA — Bureau of Legal Affairs"
    targets = [shown(c.value) for c in entry.caption if c.value.startswith("Target")]
    assert targets and not any(unit in t for t in targets for unit in UNIT_TH), targets
    assert any("documents" in t for t in targets), targets
    _no_thai("entry: actual value labels", [n.label for n in entry.number_input if n.label.startswith("Actual")])
    entry_name = next(shown(label).split(" — ")[0] for label in labels if shown(label).startswith("1.1 "))

    review = _open("secretariat", "review", state={"review_states": ["submitted", "returned", "draft", "approved"]})
    _no_thai("review: agency column", _frame_column(review, "Agency"))
    heads = [shown(e.label) for e in review.expander if " · " in e.label]
    assert heads
    _no_thai("review: item headings", [h.rsplit(" — ", 1)[0] for h in heads])
    lines = [shown(m.value) for m in review.markdown if "**Target:**" in m.value]
    assert lines and not any(THAI.search(line.split("·")[0]) for line in lines), lines[:3]
    # the same sub-issue carries the same English name on the entry, review and heatmap pages
    reviewed = heads[0].split(" · ", 1)[1].rsplit(" — ", 1)[0]  # "2.4 Decision dashboards …"
    code = reviewed.split(" ", 1)[0]
    heatmap_rows = _rows(_open("chair", "heatmap", fy="2564", m="12"))
    on_heatmap = heatmap_rows.drop_duplicates("sub_issue_code").set_index("sub_issue_code")["sub_issue_name_th"]
    assert reviewed == f"{code} {on_heatmap[code]}" == f"{code} {SUB_EN[code]}"
    assert entry_name == f"1.1 {on_heatmap['1.1']}" == f"1.1 {SUB_EN['1.1']}"
