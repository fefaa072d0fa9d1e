"""The floor of a page rerun: the smallest Streamlit script, timed the same way as the app's pages."""

import streamlit as st

st.write("ok")
