#!/usr/bin/env bash
# Runs the dashboard's end-to-end tests: installs Debian's Chromium if missing, installs the npm
# packages from their lock files, builds the server (which builds the page into its wwwroot),
# then drives the page in headless Chromium against the real server (node's test runner).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
configuration="${CONFIGURATION:-Release}"

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "Installing Debian's chromium"
  sudo_cmd=""
  if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends chromium
fi

(cd "$root/src/BertIgGrpc.Dashboard" && npm ci --no-audit --no-fund)
(cd "$root/tests/dashboard" && npm ci --no-audit --no-fund)

dotnet build "$root/src/BertIgGrpc.Server/BertIgGrpc.Server.csproj" -c "$configuration" -p:SkipDashboard=false
for file in index.html app.js styles.css; do
  if [ ! -f "$root/src/BertIgGrpc.Server/wwwroot/$file" ]; then
    echo "The server build did not produce wwwroot/$file (is Dashboard.targets imported?)" >&2
    exit 1
  fi
done

cd "$root/tests/dashboard"
export BERTIG_SERVER_DLL="$root/src/BertIgGrpc.Server/bin/$configuration/net10.0/BertIgGrpc.Server.dll"
exec node --test --test-concurrency=1 dashboard.test.mjs security.test.mjs
