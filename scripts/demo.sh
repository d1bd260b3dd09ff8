#!/usr/bin/env bash
# The main job on embedded defaults: no LLM and no external services (SQLite, in-process limits).
# 1. design a service from a blueprint, 2. prove a backend with the quality gates,
# 3. the agent runtime driving both with a scripted model, 4. the agent roster and routing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
out="$PWD/out/demo"
rm -rf "$out" && mkdir -p "$out"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "backend-agent blueprint explain examples/conduit.blueprint.yaml"
backend-agent blueprint explain examples/conduit.blueprint.yaml > "$out/explain.txt"
head -n 40 "$out/explain.txt"
echo "... (the whole explanation is in out/demo/explain.txt)"

step "backend-agent design examples/conduit.blueprint.yaml -o out/demo/design"
backend-agent design examples/conduit.blueprint.yaml -o "$out/design"

step "backend-agent check tests/fixtures/projects/clean --fast --html out/demo/report.html"
backend-agent check tests/fixtures/projects/clean --fast --html "$out/report.html"

step "backend-agent run (scripted model: the lead agent designs the service with its own tools)"
ws="$out/agent-workspace"
mkdir -p "$ws"
cp examples/conduit.blueprint.yaml examples/demo/session.yaml "$ws/"
backend-agent run "Design the publishing platform from conduit.blueprint.yaml" --cwd "$ws" \
  --model script:session.yaml --permission-mode acceptEdits --allow "Bash(backend-agent:*)" </dev/null

step "backend-agent agents list"
backend-agent agents list

step "backend-agent agents route 'the orders list is slow under load; find the N+1 queries' --files app/repositories/orders.py"
backend-agent agents route "the orders list is slow under load; find the N+1 queries" --files app/repositories/orders.py

bash scripts/demo_service.sh "$out"  # generate, test, start, call and stop the conduit service

printf '\nDesign files, the HTML report and the agent workspace are in %s\n' "$out"
