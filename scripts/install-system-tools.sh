#!/usr/bin/env bash
# Installs the optional system tools the gates and tests use (bubblewrap, graphviz, wrk, sqlmap, tmux)
# when they are missing and this user may install Debian packages. Never fails the build:
# tests that need a missing tool skip with an install hint.
set -u
want=()
command -v bwrap >/dev/null 2>&1 || want+=(bubblewrap)
command -v dot >/dev/null 2>&1 || want+=(graphviz)
command -v wrk >/dev/null 2>&1 || want+=(wrk)
command -v sqlmap >/dev/null 2>&1 || want+=(sqlmap)
command -v tmux >/dev/null 2>&1 || want+=(tmux)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: missing optional tools: ${want[*]} (install them with your package manager)" >&2
  exit 0
fi
echo "installing optional system tools: ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
timeout 300 apt-get update -qq >/dev/null 2>&1 || true
timeout 600 apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null 2>&1 \
  || echo "note: could not install some of: ${want[*]}" >&2
exit 0
