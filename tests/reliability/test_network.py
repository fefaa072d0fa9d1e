"""No outbound connection, checked rather than assumed: the server runs with a Python audit hook
(sitecustomize) that records every socket connect, sendto and name look-up it makes, while a
browser logs in, opens every page of the chair and downloads a file; the browser records every
request it makes. Only loopback and local sockets may appear."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from core.i18n import translate
from tests import figures
from tests.e2e.helpers import download, go, login, settle

pytestmark = pytest.mark.browser

SITECUSTOMIZE = """
import json, os, sys

_LOG = os.environ["NET_AUDIT_LOG"]
_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
           "socket.gethostbyaddr", "socket.gethostbyname_ex"}

def _hook(event, args):
    if event not in _EVENTS:
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        target = args[1] if len(args) > 1 else None
        family = getattr(args[0], "family", None)
        record = {"event": event, "family": int(family) if family is not None else None, "target": repr(target)}
    else:
        record = {"event": event, "target": repr(args[0])}
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\\n")

sys.addaudithook(_hook)
with open(_LOG, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({"event": "hook.loaded", "pid": os.getpid(), "argv": sys.argv[:3]}) + "\\n")
"""
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "None", ""}


def _is_local(record: dict) -> bool:
    if record.get("family") == 1:  # AF_UNIX: a local socket
        return True
    target = record["target"]
    try:
        value = eval(target, {"__builtins__": {}})  # a repr this test wrote itself
    except Exception:
        return False
    host = value[0] if isinstance(value, tuple) and value else value
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host in LOCAL_NAMES or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def test_the_app_makes_no_outbound_connection_while_it_starts_and_serves(browser, start_server, tmp_path, request):
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    audit_log = tmp_path / "net-audit.jsonl"
    audit_log.touch()
    # bound to every interface, as a deployment is: a specific address would skip Streamlit's look-ups
    server = start_server(bind="0.0.0.0", PYTHONPATH=str(hook_dir), NET_AUDIT_LOG=str(audit_log))

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    browser_requests: list[str] = []
    page.on("request", lambda r: browser_requests.append(r.url))
    login(page, server.url, "chair")
    for nav, heading in [("nav.overview", "overview.title"), ("nav.heatmap", "heatmap.title")]:
        go(page, translate(nav, "th"), translate(heading, "th"))
        settle(page)
    download(page, translate("heatmap.download_csv", "th"))
    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    context.close()

    lines = [json.loads(line) for line in audit_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    loaded = [r for r in lines if r["event"] == "hook.loaded" and "server.py" in " ".join(r["argv"])]
    assert loaded, "the audit hook did not load in the server: nothing was checked"
    records = [r for r in lines if r["event"] != "hook.loaded"]
    outbound = [r for r in records if not _is_local(r)]
    assert not outbound, f"the server reached outside the machine: {outbound[:5]}"
    foreign = [u for u in browser_requests if not (u.startswith(server.url) or u.startswith(("data:", "blob:")))]
    assert not foreign, f"the browser was made to fetch from elsewhere: {foreign[:5]}"
    assert len(browser_requests) > 10  # the browser's requests were really seen
    figures.record(
        request, outbound_connections=len(outbound) + len(foreign), network_checks=len(records) + len(browser_requests)
    )


def test_the_audit_hook_sees_an_outbound_attempt(tmp_path):
    """The control for the test above: the same hook, in a process that does try to reach out,
    records it and the check calls it outbound (so an empty record above means none was made)."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    audit_log = tmp_path / "net-audit.jsonl"
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.connect(('8.8.8.8', 1))\n"  # what Streamlit did to find its LAN address (UDP: no packet leaves)
        "try:\n    socket.getaddrinfo('checkip.amazonaws.com', 443)\nexcept OSError:\n    pass\n"
    )
    env = {**os.environ, "PYTHONPATH": str(hook_dir), "NET_AUDIT_LOG": str(audit_log)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    records = [json.loads(line) for line in audit_log.read_text(encoding="utf-8").splitlines()]
    outbound = [r for r in records if r["event"] != "hook.loaded" and not _is_local(r)]
    assert {r["event"] for r in outbound} == {"socket.connect", "socket.getaddrinfo"}
    assert any("8.8.8.8" in r["target"] for r in outbound) and any("checkip" in r["target"] for r in outbound)
