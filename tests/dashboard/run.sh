#!/usr/bin/env bash
# Runs the dashboard's end-to-end tests (headless Debian Chromium against the real server) through the same harness
# `dotnet test BertIgGrpc.sln` uses: it builds the server (which builds the page into its wwwroot) and checks that
# exactly the expected tests ran and passed. Installs nothing: run tools/setup-debian.sh first.
# To run the suite alone against an already built server: BERTIG_SERVER_DLL=... npm test (in this folder).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
exec dotnet test "$root/tests/BertIgGrpc.Clients.Tests/BertIgGrpc.Clients.Tests.csproj" --filter "FullyQualifiedName~Dashboard" "$@"
