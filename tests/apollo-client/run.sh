#!/usr/bin/env bash
# Runs the Apollo client test against a real server on the embedded defaults (SQLite and the
# in-process broker, in a fresh folder): two people made with `hearth admin create-user`, the
# server started with `hearth serve`, then `npm test`. Usage: run.sh [path/to/hearth]
# (default: the debug build that `cargo test` made).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hearth="$(realpath "${1:-$here/../../target/debug/hearth}")"
[[ -x "$hearth" ]] || { echo "no hearth binary at $hearth: run cargo build first" >&2; exit 1; }
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

work="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HEARTH_BIND="127.0.0.1:$port"
export HEARTH_PASSWORD="an apollo client passphrase"
export HEARTH_EMAIL_A="apollo-a@example.org" HEARTH_EMAIL_B="apollo-b@example.org"
HEARTH_NEW_PASSWORD="$HEARTH_PASSWORD" "$hearth" admin create-user "$HEARTH_EMAIL_A" "Apollo Author" >/dev/null
HEARTH_NEW_PASSWORD="$HEARTH_PASSWORD" "$hearth" admin create-user "$HEARTH_EMAIL_B" "Apollo Reader" >/dev/null
"$hearth" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://$HEARTH_BIND/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://$HEARTH_BIND/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

export HEARTH_URL="http://$HEARTH_BIND"
if ! (cd "$here" && npm test --silent); then
  echo "== the server's log" >&2
  tail -n 50 "$work/server.log" >&2
  exit 1
fi
