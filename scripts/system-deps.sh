#!/usr/bin/env bash
# Debian packages the cockpit needs. `system-deps.sh build`: what `make install` needs to build the
# partial plotly.js bundle (Node.js with npm). Without an argument: also what the tests need,
# Chromium (driven by Playwright; the briefing PDF uses it too), CJK fonts, redis-server (the shared
# cache tests start their own) and a Java 17 runtime (the local Spark Connect server of the engine tests).
set -euo pipefail
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${1:-}" != "build" ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
fi
if [ ${#missing[@]} -eq 0 ]; then
  [ "${1:-}" = "build" ] || echo "==> system packages present (node, npm, chromium, fonts-noto-cjk, redis-server, java)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "The browser tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
