#!/usr/bin/env bash
# `make scale-out`: PROCESSES Streamlit processes of app.py behind nginx (sticky sessions, websocket
# upgrade), all on one PostgreSQL database, on loopback. One command; Ctrl-C stops everything.
#
#   DATABASE_URL  the PostgreSQL database. Unset: postgresql+psycopg://postgres@127.0.0.1:5432/reform_scale_out,
#                 created if missing and given the demo data set while it has no accounts.
#   PORT          nginx's port (default 8500)
#   APP_PORT      the first process's port; the others follow (default 8511, 8512, …)
#   PROCESSES     how many Streamlit processes (default 2)
#   COOKIE_KEY    the re-login cookie key, shared by every process (random when unset)
#   RUN_DIR       nginx.conf, pid files and logs (default: a new folder under /tmp)
#
# Prints "ready: http://127.0.0.1:PORT" once nginx and every process answer.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PY:-$ROOT/.venv/bin/python}"
PROCESSES="${PROCESSES:-2}"
PORT="${PORT:-8500}"
APP_PORT="${APP_PORT:-8511}"
RUN_DIR="${RUN_DIR:-$(mktemp -d /tmp/reform-scale-out.XXXXXX)}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [ ! -x "$NGINX" ]; then
  echo "nginx is not installed (apt-get install nginx-light)" >&2
  exit 1
fi

if [ -z "${DATABASE_URL:-}" ]; then
  export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/reform_scale_out"
  SEED_DEMO="${SEED_DEMO:-1}"
fi
COOKIE_KEY="${COOKIE_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')}"
export COOKIE_KEY
# Streamlit signs its own cookies (XSRF) with this; the same on every process.
export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$COOKIE_KEY}"
unset SQLITE_PATH DEMO_MODE

wait_http() {  # wait_http URL: until it answers 200, at most 90 s
  "$PY" - "$1" <<'PYEOF'
import sys, time, urllib.request
deadline = time.time() + 90
while time.time() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(f"{sys.argv[1]} did not answer")
PYEOF
}

# The database: created if missing and migrated here, once, before the processes start.
"$PY" - <<'PYEOF'
import os
import sqlalchemy as sa
from sqlalchemy.engine import make_url
url = make_url(os.environ["DATABASE_URL"])
if url.get_backend_name() != "postgresql":
    raise SystemExit("scale-out needs PostgreSQL: several processes on one SQLite file is not supported")
admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
try:
    with admin.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
finally:
    admin.dispose()
PYEOF
"$PY" cli.py migrate
if [ "${SEED_DEMO:-0}" = 1 ]; then
  "$PY" cli.py seed-demo || true  # refused when the database already has accounts
fi

mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"
for d in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$RUN_DIR/$d" && chmod 777 "$RUN_DIR/$d"; done

pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ -f "$RUN_DIR/nginx.pid" ]; then kill "$(cat "$RUN_DIR/nginx.pid")" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 143' INT TERM

upstreams=""
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((APP_PORT + i))
  "$PY" -m streamlit run server.py --server.port "$port" --server.address 127.0.0.1 --server.headless true \
    >"$RUN_DIR/streamlit-$port.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$RUN_DIR/streamlit-$port.pid"
  upstreams+="        server 127.0.0.1:$port;"$'\n'
done
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@LISTEN@|127.0.0.1:$PORT|g" deploy/nginx.conf |
  awk -v up="$upstreams" '{ if ($0 == "@UPSTREAMS@") printf "%s", up; else print }' >"$RUN_DIR/nginx.conf"
for i in $(seq 0 $((PROCESSES - 1))); do
  wait_http "http://127.0.0.1:$((APP_PORT + i))/_stcore/health"
done
"$NGINX" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
pids+=("$!")
wait_http "http://127.0.0.1:$PORT/_stcore/health"
echo "ready: http://127.0.0.1:$PORT ($PROCESSES Streamlit processes on ports $APP_PORT…$((APP_PORT + PROCESSES - 1)); files in $RUN_DIR)"

# Run until a process stops or we are told to stop; then stop the rest.
wait -n "${pids[@]}" || true
echo "a process of the deployment stopped; stopping the others (logs in $RUN_DIR)" >&2
