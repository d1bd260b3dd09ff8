#!/usr/bin/env bash
# The main job on embedded defaults (no LLM, no external services).
set -euo pipefail
cd "$(dirname "$0")/.."
BA=.venv/bin/backend-agent
echo "== backend-agent agents list"
$BA agents list
echo
echo "== backend-agent agents route 'add a Postgres migration for the orders table' --files app/models/order.py"
$BA agents route "add a Postgres migration for the orders table" --files app/models/order.py
