#!/usr/bin/env bash
# The local Label Studio for development and tests: one command, idempotent.
#
#   scripts/labelstudio.sh [start]   install into .lsvenv if missing, start on 127.0.0.1, wait for /health
#   scripts/labelstudio.sh install   only install Label Studio into .lsvenv if missing
#   scripts/labelstudio.sh stop      stop the server this script started (pid in .labelstudio/server.pid)
#   scripts/labelstudio.sh status    exit 0 when /health answers
#   scripts/labelstudio.sh env       print the export lines for ner ls: eval "$(scripts/labelstudio.sh env)"
#
# Known admin user and token (override with the environment variables before the first start;
# the token is stored in the database the first time the data directory is created):
#   LABEL_STUDIO_USERNAME=admin@ner.local  LABEL_STUDIO_PASSWORD=ner-local-admin
#   LABEL_STUDIO_USER_TOKEN=ner0local0dev0token000000000000000000000 (a legacy API token)
#   LABEL_STUDIO_PORT=8089  LABEL_STUDIO_DATA_DIR=.labelstudio  LABEL_STUDIO_VENV=.lsvenv
# The server allows ML backends and webhooks on 127.0.0.1 (ML_BLOCK_LOCAL_IP=false,
# SSRF_PROTECTION_ENABLED=false) so that `ner serve` next to it can be connected; a local dev server only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${LABEL_STUDIO_PORT:-8089}"
HOST=127.0.0.1
URL="http://$HOST:$PORT"
DATA="${LABEL_STUDIO_DATA_DIR:-$ROOT/.labelstudio}"
VENV="${LABEL_STUDIO_VENV:-$ROOT/.lsvenv}"
USERNAME="${LABEL_STUDIO_USERNAME:-admin@ner.local}"
PASSWORD="${LABEL_STUDIO_PASSWORD:-ner-local-admin}"
TOKEN="${LABEL_STUDIO_USER_TOKEN:-ner0local0dev0token000000000000000000000}"
WAIT="${LABEL_STUDIO_WAIT:-240}"
PIDFILE="$DATA/server.pid"
LOG="$DATA/server.log"

healthy() { curl -fsS -m 3 "$URL/health" >/dev/null 2>&1; }

install() {
    if [ ! -x "$VENV/bin/label-studio" ]; then
        echo "installing Label Studio into $VENV (a few minutes, once)" >&2
        python3 -m venv "$VENV"
        # sentry-sdk 3.0 (out 2026-12-07) refuses label-studio 1.23's send_default_pii and the server dies at start
        "$VENV/bin/pip" install --quiet label-studio "sentry-sdk<3"
    fi
}

start() {
    mkdir -p "$DATA"
    # One starter at a time: two test sessions may ask at once.
    exec 9>"$DATA/start.lock"
    flock 9
    if healthy; then
        echo "Label Studio is already up at $URL" >&2
        return 0
    fi
    install
    echo "starting Label Studio at $URL (data in $DATA, log in $LOG)" >&2
    LABEL_STUDIO_USERNAME="$USERNAME" LABEL_STUDIO_PASSWORD="$PASSWORD" \
    LABEL_STUDIO_USER_TOKEN="$TOKEN" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LABEL_STUDIO_BASE_DATA_DIR="$DATA" LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
    ML_BLOCK_LOCAL_IP=false SSRF_PROTECTION_ENABLED=false \
        setsid "$VENV/bin/label-studio" start --no-browser --data-dir "$DATA" \
            --internal-host "$HOST" --port "$PORT" \
            --username "$USERNAME" --password "$PASSWORD" --user-token "$TOKEN" \
            --enable-legacy-api-token >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local pid waited=0
    pid=$(cat "$PIDFILE")
    until healthy; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "Label Studio exited before answering /health; the end of $LOG:" >&2
            tail -n 20 "$LOG" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        if [ "$waited" -ge "$WAIT" ]; then
            echo "Label Studio did not answer $URL/health within ${WAIT}s; see $LOG" >&2
            return 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
    echo "Label Studio is up at $URL (user $USERNAME, token in: scripts/labelstudio.sh env)" >&2
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "no $PIDFILE: this script did not start a server here" >&2
        return 0
    fi
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        # setsid made the server the leader of its own process group: stop the group it leads.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
        for _ in $(seq 1 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
        echo "stopped Label Studio (pid $pid)" >&2
    fi
    rm -f "$PIDFILE"
}

case "${1:-start}" in
    start) start ;;
    install) install ;;
    stop) stop ;;
    status) healthy && echo "up at $URL" || { echo "down at $URL" >&2; exit 1; } ;;
    env) printf 'export LABEL_STUDIO_URL=%s\nexport LABEL_STUDIO_API_KEY=%s\n' "$URL" "$TOKEN" ;;
    *) echo "usage: $0 [start|install|stop|status|env]" >&2; exit 2 ;;
esac
