"""Start-up of a Streamlit process: its settings and its one engine, with the database migrated
(and in demo mode seeded) at first use."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core import db
from core.settings import Settings, load_settings
from services import schema


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def _prepared_engine(url: str, busy_timeout_ms: int) -> Engine:
    """One engine per process; the schema is upgraded (and demo data made) once, at first use."""
    engine = db.get_engine(url, busy_timeout_ms=busy_timeout_ms)
    schema.prepare(engine, settings())
    return engine


def engine() -> Engine:
    s = settings()
    return _prepared_engine(s.database_url, s.sqlite_busy_timeout_ms)
