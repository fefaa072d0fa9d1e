"""Placeholder: being built (issue 15)."""

from __future__ import annotations

import streamlit as st

from ui.session import require_actor
from ui.widgets import t

actor = require_actor("plan")
st.title(t("nav.plan"))
