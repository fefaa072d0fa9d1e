"""The layers keep their one rule each (docs/ARCHITECTURE.md): nothing below the Streamlit layer
imports it, services never import Streamlit, pages open no database session."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("folder", ["core", "services", "models"])
def test_nothing_below_the_streamlit_layer_imports_it(folder):
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if _top(m) in ("ui", "pages", "app", "server"))
        for p in _files(folder)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("folder", ["services", "models"])
def test_services_and_models_never_import_streamlit(folder):
    offenders = [str(p.relative_to(ROOT)) for p in _files(folder) if any(_top(m) == "streamlit" for m in _imports(p))]
    assert offenders == []


def test_core_reads_streamlit_only_for_its_secrets():
    """core/settings.py reads st.secrets (settings come from the environment, then st.secrets);
    nothing else in core/ touches Streamlit."""
    offenders = [str(p.relative_to(ROOT)) for p in _files("core") if any(_top(m) == "streamlit" for m in _imports(p))]
    assert offenders == ["core/settings.py"]


def test_pages_open_no_session_and_reach_data_through_the_streamlit_layer():
    for page in _files("pages"):
        text = page.read_text(encoding="utf-8")
        modules = _imports(page)
        assert not {"core.db", "sqlmodel", "sqlalchemy"} & modules, page.name
        assert "read_session" not in text and "write_session" not in text, page.name


def test_pages_draw_headings_through_the_thai_word_breaker():
    """st.title/st.header/st.subheader leave Thai line breaking to Chromium's dictionary, which
    splits words in headings ("ผู้|บริหาร"); pages use ui.widgets.title and subheader instead."""
    for page in _files("pages"):
        for node in ast.walk(ast.parse(page.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in {"title", "header", "subheader"} or (
                    isinstance(node.func.value, ast.Name) and node.func.value.id in {"widgets", "str"}
                ), f"{page.name}:{node.lineno}"
