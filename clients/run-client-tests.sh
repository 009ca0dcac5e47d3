#!/usr/bin/env bash
# Runs the TypeScript and Python client test suites (and the ghz data checks, which live in the
# TypeScript suite) against the real BertIgGrpc server. Installs what they need first, builds the
# server once, and shares one model cache between the suites so the default model is built once.
# Exit status: non-zero when either suite fails or runs no test.
set -uo pipefail

CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLIENTS/.." && pwd)"
APT_PACKAGES=(openssl protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf python3-pytest)

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

LOGS="$(mktemp -d -t bertig-client-logs-XXXXXX)"
trap 'rm -rf "$BERTIG_TEST_CACHE_DIR" "$LOGS"' EXIT

log "TypeScript: npm test (node --test)"
(cd "$CLIENTS/typescript" && timeout 1200 npm test) 2>&1 | tee "$LOGS/ts.log"
ts_rc=${PIPESTATUS[0]}

log "Python: pytest (/usr/bin/python3)"
(cd "$CLIENTS/python" && timeout 1200 /usr/bin/python3 -m pytest -v -p no:cacheprovider) 2>&1 | tee "$LOGS/py.log"
py_rc=${PIPESTATUS[0]}
if ((py_rc == 5)); then
  echo "pytest collected no tests: failing" >&2
fi

# One closing line over both runners: node's "# pass N"/"# fail N" and pytest's "N passed, M failed".
ts_pass=$(awk '/^# pass /{n=$3} END{print n+0}' "$LOGS/ts.log")
ts_fail=$(awk '/^# (fail|cancelled) /{n+=$3} END{print n+0}' "$LOGS/ts.log")
py_counts=$(tail -n 1 "$LOGS/py.log" | awk '{for (i = 2; i <= NF; i++) { w = $i; gsub(/[^a-z]/, "", w)
  if (w == "passed") p += $(i-1); if (w == "failed" || w == "error" || w == "errors") f += $(i-1) } }
  END { print p+0, f+0 }')
read -r py_pass py_fail <<<"$py_counts"
((ts_rc != 0 && ts_fail == 0)) && ts_fail=1   # e.g. the build failed before any test ran
((py_rc != 0 && py_fail == 0)) && py_fail=1
log "client tests: typescript exit $ts_rc, python exit $py_rc"
echo "Clients: $((ts_pass + py_pass)) passed, $((ts_fail + py_fail)) failed"
((ts_rc == 0 && py_rc == 0))
