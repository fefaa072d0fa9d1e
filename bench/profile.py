"""Why a page or a save is slow: pyinstrument profiles of real reruns, summarised as top functions.

Pages are profiled inside a real `streamlit run` server: the server runs a generated app.py (in a
mirror of the project, see servers.profiled_root) that wraps the real app.py in pyinstrument and
keeps one combined profile per page, warm runs only. Saves are profiled in this process.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.servers import ROOT, WORK_DIR, StreamlitServer, app_env, profiled_root
from bench.wsclient import StreamlitSession

PROFILE_DIR = WORK_DIR / "profiles"
MIRROR = WORK_DIR / "profile-root"


def _project_path(path: str | None) -> str | None:
    """The path inside the project (app.py, core/…, pages/…), or None for library code."""
    p = str(path or "")
    for prefix in (str(MIRROR) + "/", str(ROOT) + "/"):
        if p.startswith(prefix):
            rel = p[len(prefix) :]
            return None if rel.startswith((".venv/", "bench/")) else rel
    return None


def _label(frame: Any) -> str:
    path = str(frame.file_path or "")
    rel = _project_path(path)
    if rel is not None:
        path = rel
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{frame.function} ({path}:{frame.line_no})"


def _library_call(frame: Any) -> Any:
    """The frame that names a library call: Streamlit's metrics wrapper stands for the st.* command under it."""
    while frame.function in ("wrapped_func", "wrapper") and frame.children:
        frame = max(frame.children, key=lambda c: c.time)
    return frame


def summarize(session: Any, *, top: int = 12, runs: int | None = None) -> dict:
    """Milliseconds per run: project functions by total time, the library calls they make (st.*,
    altair, pandas, the database driver) by total time, and any function by self time."""
    root = session.root_frame()
    if root is None:
        return {"runs": runs, "total_ms": 0, "self": [], "project": [], "calls": []}
    per_run = 1000.0 / max(1, runs or 1)
    self_time: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = defaultdict(float)
    calls: dict[str, float] = defaultdict(float)

    def walk(frame: Any, on_stack: frozenset[str]) -> None:
        if frame.is_synthetic_leaf:  # "[self]": its time is in the parent's self time
            return
        label = _label(frame)
        self_time[label] += frame.total_self_time
        in_project = _project_path(frame.file_path) is not None
        if in_project and label not in on_stack:  # recursion counted once
            cumulative[label] += frame.time
        for child in frame.children:
            if (
                in_project
                and not child.is_synthetic_leaf
                and _project_path(child.file_path) is None
                and not str(child.file_path).endswith("streamlit/navigation/page.py")  # Page.run: back into project code
            ):
                target = _library_call(child)
                calls[f"{_label(target)} ← {frame.function}"] += child.time
            walk(child, on_stack | {label})

    walk(root, frozenset())

    def best(d: dict[str, float]) -> list[tuple[str, float]]:
        return [(name, t * per_run) for name, t in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return {
        "runs": runs,
        "total_ms": root.time * per_run,
        "self": best(self_time),
        "project": best(cumulative),
        "calls": best(calls),
    }


def render_text(session: Any) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    return ConsoleRenderer(unicode=False, color=False, show_all=False, short_mode=True).render(session)


async def _drive(url: str, page: str, n: int, between: Any = None) -> dict[str, str]:
    async with StreamlitSession(url) as s:
        await s.login("chair", "demo2563")
        await s.rerun(page)
        for _ in range(n):
            if between is not None:  # e.g. another session's save just before this rerun
                await asyncio.to_thread(between)
            await s.rerun()
        return dict(s.pages)


def profile_pages(database_url: str, pages: list[str], *, n: int, tag: str, between: Any = None) -> dict[str, dict]:
    """Warm reruns of each page in a profiling server (each after `between()`, when given);
    returns summaries and writes call trees."""
    from pyinstrument.session import Session

    out_dir = PROFILE_DIR / f"{tag}-sessions"
    if out_dir.exists():
        for f in out_dir.glob("*.pyisession"):
            f.unlink()
    mirror = profiled_root(out_dir)
    results: dict[str, dict] = {}
    with StreamlitServer(mirror / "server.py", env=app_env(database_url), log_path=WORK_DIR / f"profile-{tag}.log") as server:
        for page in pages:
            hashes = asyncio.run(_drive(server.url, page, n, between))
            page_hash = hashes.get(page)
            path = out_dir / f"{page_hash}.pyisession"
            if not page_hash or not path.exists():
                results[page] = {"error": "no profile recorded"}
                continue
            session = Session.load(str(path))
            text_path = PROFILE_DIR / f"{tag}-{page or 'home'}.txt"
            text_path.write_text(render_text(session), encoding="utf-8")
            results[page] = summarize(session, runs=n) | {"call_tree": str(text_path.relative_to(ROOT))}
    return results


def profile_call(fn: Any, *, n: int, tag: str) -> dict:
    """Profile `fn()` run n times in this process."""
    import pyinstrument

    profiler = pyinstrument.Profiler(interval=0.001)
    profiler.start()
    for _ in range(n):
        fn()
    session = profiler.stop()
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    text_path = PROFILE_DIR / f"{tag}.txt"
    text_path.write_text(render_text(session), encoding="utf-8")
    return summarize(session, runs=n) | {"call_tree": str(Path(text_path).relative_to(ROOT))}
