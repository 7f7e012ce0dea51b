#!/usr/bin/env bash
# Node packages the sandbox runs, installed once into the sandbox cache (never into the repository):
#   Azurite 3.35.0 - the Azure Blob emulator; the newest release that runs on Node 20
#   (3.36.0 and later declare Node >= 21).
# Prints the directory whose node_modules/.bin holds `azurite-blob`.
set -euo pipefail
AZURITE_VERSION=3.35.0
prefix="${WBINSTALL_SANDBOX_CACHE:-$HOME/.cache/wbinstall-sandbox}/node"
if [ ! -x "$prefix/node_modules/.bin/azurite-blob" ] || \
   [ "$(cat "$prefix/.azurite-version" 2>/dev/null)" != "$AZURITE_VERSION" ]; then
  command -v npm >/dev/null || { echo "install-node-packages: npm (Node >= 20) is needed for Azurite" >&2; exit 2; }
  mkdir -p "$prefix"
  (cd "$prefix" && npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2)
  echo "$AZURITE_VERSION" > "$prefix/.azurite-version"
fi
echo "$prefix"
