#!/usr/bin/env bash
# Runs the TypeScript and Python client test suites (and the ghz data checks, which live in the TypeScript suite)
# against the real BertIgGrpc server, through the same harness `dotnet test BertIgGrpc.sln` uses: it builds the
# server, shares one model cache between the suites, and checks that exactly the expected tests ran and passed.
# Installs nothing: run tools/setup-debian.sh first (Debian packages and npm dependencies).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec dotnet test "$root/tests/BertIgGrpc.Clients.Tests/BertIgGrpc.Clients.Tests.csproj" \
  --filter "FullyQualifiedName~TypeScriptClient|FullyQualifiedName~PythonClient" "$@"
