#!/usr/bin/env bash
# Packs every client into one folder, all with the version in VERSION (the only place it is written):
#   BertIgGrpc.Contracts, BertIgGrpc.Client     NuGet libraries (+ .snupkg symbols, SourceLink)
#   BertIgGrpc.Cli                              the `bertig` .NET tool
#   bertig-client-<v>.tgz                       npm (@bertig/client), built by its prepack script
#   bertig_client-<v>-py3-none-any.whl, .tar.gz Python wheel and sdist (setuptools, no build isolation: offline)
# Usage: tools/pack-clients.sh [OUTPUT_DIR]   (default: artifacts/packages)
# Needs what tools/setup-debian.sh installs (python3-build, protoc, clients/typescript/node_modules).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/artifacts/packages}" && cd "${1:-$root/artifacts/packages}" && pwd)"
version="$(tr -d '[:space:]' <"$root/VERSION")"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "pack-clients.sh: VERSION is not a semantic version: '$version'" >&2; exit 1; }

echo "pack-clients.sh: version $version into $out"
for project in src/BertIgGrpc.Contracts clients/csharp/src/BertIgGrpc.Client clients/csharp/src/BertIgGrpc.Cli; do
  dotnet pack "$root/$project" -c Release -o "$out" -v q -nologo
done

# package.json cannot read a file: its version is stamped from VERSION (a no-op when they agree).
(cd "$root/clients/typescript" \
  && npm version "$version" --no-git-tag-version --allow-same-version >/dev/null \
  && npm pack --pack-destination "$out" --loglevel=error >/dev/null)

# Builds the sdist, then the wheel from the sdist (so the sdist is known to be complete).
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
/usr/bin/python3 -m build --no-isolation --outdir "$out" "$root/clients/python" >"$log" 2>&1 \
  || { cat "$log" >&2; echo "pack-clients.sh: the Python build failed" >&2; exit 1; }

ls -1 "$out"
