"""The reliability suite drives the same real servers and Chromium as the browser tier."""

from tests.e2e.conftest import browser, page, server, start_server  # noqa: F401  (fixtures)
