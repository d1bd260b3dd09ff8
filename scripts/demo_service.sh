#!/usr/bin/env bash
# Generate the conduit service, run its own tests, start it on a free loopback port (SQLite) and show
# auth, ownership and a computed field over HTTP; the server is stopped on exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
out="${1:-$PWD/out/demo}/service"
rm -rf "$out"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "backend-agent new examples/conduit.blueprint.yaml -o $out"
backend-agent new examples/conduit.blueprint.yaml -o "$out"

step "the generated service's own tests (SQLite)"
(cd "$out" && APP_ENV=test python -m pytest -q -p no:cacheprovider 2>&1 | tail -n 3)

port="$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export APP_ENV=development DATABASE_URL="sqlite:///$out/db.sqlite3" RATE_LIMIT_ENABLED=false
(cd "$out" && python -m alembic upgrade head >/dev/null 2>&1)
step "starting it on http://127.0.0.1:$port (SQLite at $out/db.sqlite3)"
(cd "$out" && exec python -m uvicorn app.main:app --host 127.0.0.1 --port "$port" --log-level warning) \
  >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT INT TERM
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

call() {  # METHOD PATH [TOKEN] [BODY]: prints the status line and the body
  local args=(-s -o /tmp/demo-body.$$ -w '%{http_code}' -X "$1" "$base$2" -H 'Content-Type: application/json')
  [ -n "${3:-}" ] && args+=(-H "Authorization: Token $3")
  [ -n "${4:-}" ] && args+=(-d "$4")
  local code; code="$(curl "${args[@]}")"
  printf '%s %s -> %s  %s\n' "$1" "$2" "$code" "$(head -c 300 /tmp/demo-body.$$)"
  rm -f /tmp/demo-body.$$
}
token() { python -c 'import json,sys; print(json.load(sys.stdin)["user"]["token"])'; }

step "auth: register two users"
jake="$(curl -s -X POST "$base/api/users" -H 'Content-Type: application/json' \
  -d '{"user":{"email":"jake@example.com","username":"jake","password":"correct-horse-9"}}' | token)"
anna="$(curl -s -X POST "$base/api/users" -H 'Content-Type: application/json' \
  -d '{"user":{"email":"anna@example.com","username":"anna","password":"correct-horse-9"}}' | token)"
call GET /api/user "$jake"
call POST /api/articles "" '{"article":{"title":"No token","description":"d","body":"b"}}'

step "jake writes an article; anna favourites it (computed: favorited, favoritesCount)"
call POST /api/articles "$jake" '{"article":{"title":"How to train your dragon","description":"Ever wonder how?","body":"It takes a Jacobian","tagList":["dragons"]}}'
call POST /api/articles/how-to-train-your-dragon/favorite "$anna"
call GET /api/articles/how-to-train-your-dragon "$anna"

step "ownership: anna may not change or delete jake's article"
call PUT /api/articles/how-to-train-your-dragon "$anna" '{"article":{"title":"Mine now"}}'
call DELETE /api/articles/how-to-train-your-dragon "$anna"

printf '\nThe service is in %s (README.md, design/, tests/); server log: %s/server.log\n' "$out" "$out"
