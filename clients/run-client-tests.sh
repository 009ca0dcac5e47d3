#!/usr/bin/env bash
# Runs the TypeScript and Python client test suites (and the ghz data checks, which live in the
# TypeScript suite) against the real BertIgGrpc server. Installs what they need first, builds the
# server once, and shares one model cache between the suites so the default model is built once.
# Exit status: non-zero when either suite fails or runs no test.
set -uo pipefail

CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLIENTS/.." && pwd)"
APT_PACKAGES=(protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf python3-pytest)

log() { printf '\n== %s\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq || exit 1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" || exit 1
fi
command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }

log "npm ci (clients/typescript)"
(cd "$CLIENTS/typescript" && timeout 600 npm ci --no-audit --no-fund) || exit 1

log "dotnet build src/BertIgGrpc.Server -c Debug"
timeout 900 dotnet build "$ROOT/src/BertIgGrpc.Server" -c Debug -nologo -v quiet || exit 1
export BERTIG_SERVER_DLL="$ROOT/src/BertIgGrpc.Server/bin/Debug/net10.0/BertIgGrpc.Server.dll"
[[ -f $BERTIG_SERVER_DLL ]] || { echo "server build output not found: $BERTIG_SERVER_DLL" >&2; exit 1; }

BERTIG_TEST_CACHE_DIR="$(mktemp -d -t bertig-client-tests-XXXXXX)"
export BERTIG_TEST_CACHE_DIR
trap 'rm -rf "$BERTIG_TEST_CACHE_DIR"' EXIT

log "TypeScript: npm test (node --test)"
(cd "$CLIENTS/typescript" && timeout 1200 npm test)
ts_rc=$?

log "Python: pytest (/usr/bin/python3)"
(cd "$CLIENTS/python" && timeout 1200 /usr/bin/python3 -m pytest -v -p no:cacheprovider)
py_rc=$?
if ((py_rc == 5)); then
  echo "pytest collected no tests: failing" >&2
fi

log "client tests: typescript exit $ts_rc, python exit $py_rc"
((ts_rc == 0 && py_rc == 0))
