"""A minimal Streamlit browser: speaks the app's websocket protocol (BackMsg / ForwardMsg protobufs).

A GET of a Streamlit page runs no script; a session only runs when the browser's websocket sends a
``rerun_script`` BackMsg. This client does exactly what the frontend does:

- connects to ``ws://HOST/_stcore/stream`` with the ``streamlit`` subprotocol;
- sends ``BackMsg.rerun_script`` (a ClientState: query string, page, widget states, context);
- reads ForwardMsgs until ``script_finished`` says FINISHED_SUCCESSFULLY (a run that ends in
  ``st.rerun()`` reports FINISHED_EARLY_FOR_RERUN and goes on by itself);
- collects the elements the run drew, so widgets (ids, labels, form ids) can be driven.

Pages are chosen like the frontend: by ``page_script_hash`` (known from the ``navigation``
message) or, before that, by ``page_name`` = the page's URL pathname.

Message cache: like the frontend, the client keeps every "cacheable" ForwardMsg (large elements) by
hash, sends those hashes with each rerun (``cached_message_hashes``), and resolves the ``ref_hash``
messages the server then sends instead of an unchanged element; entries expire after
``max_cached_age`` runs without use (Streamlit's global.maxCachedMessageAge, default 2).

Forms: Streamlit's frontend holds a form's widget values until the submit button is pressed and
then sends them all with the button's ``trigger_value``; ``login`` sends the same message.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGET_TYPES = {
    "button",
    "checkbox",
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "number_input",
    "radio",
    "slider",
    "button_group",
    "download_button",
    "date_input",
    "file_uploader",
}


class StreamlitError(RuntimeError):
    """The session could not do what was asked (server error, timeout, refused login)."""


@dataclass
class ElementInfo:
    kind: str
    id: str = ""
    label: str = ""
    form_id: str = ""
    password: bool = False
    form_submitter: bool = False
    text: str = ""


@dataclass
class RunResult:
    """One script run as the browser saw it, from sending rerun_script to script_finished."""

    seconds: float
    elements: list[ElementInfo] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    page_not_found: bool = False
    early_reruns: int = 0
    bytes_received: int = 0
    messages: int = 0
    cache_hits: int = 0  # elements the server sent as a reference to the client's cache

    @property
    def ok(self) -> bool:
        return not self.exceptions and not self.page_not_found

    def headings(self) -> list[str]:
        return [e.text for e in self.elements if e.kind == "heading"]

    def metrics(self) -> dict[str, str]:
        return {e.label: e.text for e in self.elements if e.kind == "metric"}

    def widgets(self, kind: str | None = None) -> list[ElementInfo]:
        return [e for e in self.elements if e.id and (kind is None or e.kind == kind)]


def _element_info(element) -> ElementInfo:  # a streamlit.proto Element
    kind = element.WhichOneof("type") or ""
    info = ElementInfo(kind=kind)
    if kind in WIDGET_TYPES:
        body = getattr(element, kind)
        info.id = getattr(body, "id", "")
        info.label = getattr(body, "label", "")
        info.form_id = getattr(body, "form_id", "")
        if kind == "text_input":
            info.password = body.type == body.PASSWORD
        if kind == "button":
            info.form_submitter = body.is_form_submitter
    elif kind == "heading":
        info.text = element.heading.body
    elif kind == "markdown" and re.match(r"#{1,3} ", element.markdown.body):
        # a page title or heading drawn by ui.widgets.title/subheader: Markdown with word tags
        info.kind = "heading"
        info.text = re.sub(
            r"\\([!-/:-@\[-`{-~])", r"\1", re.sub(r"(?<!\\)<[^<>]+>", "", element.markdown.body.lstrip("#").strip())
        )
    elif kind == "metric":
        info.label, info.text = element.metric.label, element.metric.body
    elif kind == "exception":
        info.text = f"{element.exception.type}: {element.exception.message}"
    elif kind == "alert":
        info.text = element.alert.body
    return info


class StreamlitSession:
    """One browser tab: a websocket session to a running `streamlit run` server."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        timezone: str = "Asia/Bangkok",
        locale: str = "th-TH",
        load_page: bool = False,
        max_cached_age: int = 2,
    ):
        """`load_page`: GET the page first and send its cookies with the websocket, as a browser
        does (needed behind a proxy that routes by cookie, e.g. deploy/nginx.conf)."""
        self.base_url = base_url.rstrip("/")
        self.load_page = load_page
        self.cookies: dict[str, str] = {}
        self.upstream = ""  # the process the websocket reached, when a proxy says so (X-Upstream)
        self.page_upstream = ""  # the process that served the page (load_page)
        self.ws_url = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"
        self.timeout = timeout
        self.timezone = timezone
        self.locale = locale
        self.ws: ClientConnection | None = None
        self.pages: dict[str, str] = {}  # url pathname -> page_script_hash, from the last navigation message
        self.page_hash = ""  # the page the last run showed
        self.query_string = ""
        self.last: RunResult | None = None
        self.max_cached_age = max_cached_age
        self._cache: dict[str, tuple[bytes, int]] = {}  # hash -> (message, run count when last used)
        self._runs = 0

    def _get_page(self) -> None:
        import urllib.request
        from http.cookies import SimpleCookie

        with urllib.request.urlopen(self.base_url + "/", timeout=self.timeout) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            self.page_upstream = response.headers.get("X-Upstream", "")

    async def connect(self) -> StreamlitSession:
        if self.load_page:
            await asyncio.to_thread(self._get_page)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        self.ws = await connect(
            self.ws_url,
            additional_headers=headers,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=20,
            ping_timeout=60,
            compression=None,
        )
        if self.ws.response is not None:
            self.upstream = self.ws.response.headers.get("X-Upstream", "")
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def __aenter__(self) -> StreamlitSession:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ protocol
    def _back_msg(self, *, page: str | None, widgets: list | None, query_string: str | None) -> BackMsg:
        msg = BackMsg()
        state = msg.rerun_script
        if query_string is not None:
            self.query_string = query_string
        state.query_string = self.query_string
        if page is None:
            state.page_script_hash = self.page_hash
        elif page in self.pages:
            state.page_script_hash = self.pages[page]
        else:  # not seen yet (first run): the frontend sends the URL pathname
            state.page_name = page
        for w in widgets or []:
            state.widget_states.widgets.append(w)
        state.cached_message_hashes.extend(self._cache)
        ctx = state.context_info
        ctx.timezone = self.timezone
        ctx.locale = self.locale
        path = page if page is not None else next((p for p, h in self.pages.items() if h == self.page_hash), "")
        ctx.url = f"{self.base_url}/{path}" + (f"?{self.query_string}" if self.query_string else "")
        return msg

    async def rerun(self, page: str | None = None, *, widgets: list | None = None, query_string: str | None = None) -> RunResult:
        """Run the script as the browser would and wait until it has finished (not stopped for a rerun).

        `page` is a URL pathname ("" for the default page); None reruns the page on screen.
        `widgets` are WidgetState protobufs (see `widget`)."""
        if self.ws is None:
            raise StreamlitError("not connected")
        await self.ws.send(self._back_msg(page=page, widgets=widgets, query_string=query_string).SerializeToString())
        start = time.perf_counter()
        result = RunResult(seconds=0.0)
        deadline = start + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise StreamlitError(f"no script_finished within {self.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=remaining)
            except TimeoutError as exc:
                raise StreamlitError(f"no script_finished within {self.timeout:.0f} s") from exc
            result.messages += 1
            result.bytes_received += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "ref_hash":  # an element the client already has: take it from the cache
                cached = self._cache.get(fwd.ref_hash)
                if cached is None:
                    result.exceptions.append(f"ref_hash {fwd.ref_hash} not in the client's cache")
                    continue
                self._cache[fwd.ref_hash] = (cached[0], self._runs)
                result.cache_hits += 1
                fwd = ForwardMsg()
                fwd.ParseFromString(cached[0])
                kind = fwd.WhichOneof("type")
            elif fwd.metadata.cacheable and fwd.hash:
                self._cache[fwd.hash] = (raw, self._runs)
            if kind == "new_session":
                result.elements.clear()  # a run that follows st.rerun() draws the page anew
                result.exceptions.clear()
                result.alerts.clear()
            elif kind == "delta":
                if fwd.delta.WhichOneof("type") == "new_element":
                    info = _element_info(fwd.delta.new_element)
                    result.elements.append(info)
                    if info.kind == "exception":
                        result.exceptions.append(info.text)
                    elif info.kind == "alert":
                        result.alerts.append(info.text)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "page_not_found":
                result.page_not_found = True
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    result.early_reruns += 1
                    continue
                if fwd.script_finished not in FINISHED_OK:
                    result.exceptions.append(f"script_finished status {fwd.script_finished}")
                result.seconds = time.perf_counter() - start
                self._runs += 1
                self._cache = {h: v for h, v in self._cache.items() if self._runs - v[1] <= self.max_cached_age}
                self.last = result
                return result

    # ------------------------------------------------------------------ widgets
    @staticmethod
    def widget(widget_id: str, **value: object):  # a WidgetState protobuf
        """A WidgetState: widget("id", string_value="x"), widget("id", trigger_value=True), …"""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return WidgetState(id=widget_id, **value)

    async def login(self, username: str, password: str) -> RunResult:
        """Open the app, fill the login form and submit it; return the first page after login."""
        first = await self.rerun("")
        inputs = [e for e in first.widgets("text_input")]
        submit = next((e for e in first.widgets("button") if e.form_submitter), None)
        user_box = next((e for e in inputs if not e.password), None)
        pw_box = next((e for e in inputs if e.password), None)
        if not (user_box and pw_box and submit):
            raise StreamlitError(f"no login form on the first page (elements: {[e.kind for e in first.elements]})")
        result = await self.rerun(
            widgets=[
                self.widget(user_box.id, string_value=username),
                self.widget(pw_box.id, string_value=password),
                self.widget(submit.id, trigger_value=True),
            ]
        )
        # before login every page path leads to the login form (deep links survive login),
        # so the navigation's size says nothing: a refused login still shows the password box
        still_at_login = any(e.password for e in result.widgets("text_input"))
        if still_at_login or not result.ok:
            raise StreamlitError(f"login of {username!r} refused: {result.alerts or result.exceptions}")
        return result
