#!/usr/bin/env bash
# Installs everything the tests and the client examples need on a Debian machine, and nothing else:
#   - Debian packages (apt-get, as root or with sudo), checked one by one with `dpkg -s`;
#   - the npm packages of the three Node projects, with `npm ci`, whenever package-lock.json changed since the
#     last install (its sha256 is stamped in node_modules/.package-lock.sha256).
# The .NET 10 SDK and Node.js 20+ are prerequisites it checks but does not install (see the README).
# Idempotent and quick when everything is in place. `.ci/run` calls it before the tests; the tests never install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Why each one is here:
#   chromium                      the dashboard's and the CLI's browser tests (headless)
#   protobuf-compiler             protoc, for the Python client's generated code (clients/python/build_protos.py)
#   protobuf-compiler-grpc        grpc_python_plugin for the same
#   libprotobuf-dev               the well-known .proto files (google/protobuf/*.proto) protoc imports
#   python3-grpcio python3-protobuf   the Python client's runtime (Debian's /usr/bin/python3)
#   python3-pytest                the Python client's tests
#   python3-build python3-setuptools python3-wheel   tools/pack-clients.sh: the Python sdist and wheel, offline
#                                 (`python3 -m build --no-isolation`)
#   python3-venv python3-pip      PackageInstallTests install the wheel into a fresh venv
#   openssl                       throw-away TLS certificates of the TypeScript and Python security tests
#   nginx                         the deployment tests' HTTP/2 gRPC proxy in front of server replicas
#   zstd xz-utils                 tools/gpu-check (pack.sh and its dry run)
DEBIAN_PACKAGES=(
  chromium
  protobuf-compiler
  protobuf-compiler-grpc
  libprotobuf-dev
  python3-grpcio
  python3-protobuf
  python3-pytest
  python3-build
  python3-setuptools
  python3-wheel
  python3-venv
  python3-pip
  openssl
  nginx
  zstd
  xz-utils
)

# The Node projects whose node_modules the build and the tests use.
NPM_PROJECTS=(
  src/BertIgGrpc.Dashboard
  clients/typescript
  tests/dashboard
)

fail() { echo "setup-debian.sh: $*" >&2; exit 1; }

command -v dotnet >/dev/null || fail "the .NET 10 SDK is missing: see https://learn.microsoft.com/dotnet/core/install/linux-debian"
command -v node >/dev/null && command -v npm >/dev/null || fail "Node.js 20 or newer (with npm) is missing: see https://nodejs.org/en/download"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || fail "Node.js $(node --version) is too old: 20 or newer is needed"

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || fail "not root and no sudo: run as root, or install: apt-get install ${missing[*]}"
    sudo="sudo"
  fi
  echo "setup-debian.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for package in "${missing[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || fail "apt-get did not install $package"
  done
fi

for project in "${NPM_PROJECTS[@]}"; do
  dir="$root/$project"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  stamp="$dir/node_modules/.package-lock.sha256"
  have=""
  [[ -f $stamp ]] && have="$(tr -d '[:space:]' <"$stamp" | tr 'A-F' 'a-f')"
  if [[ $have != "$want" ]]; then
    echo "setup-debian.sh: npm ci in $project (package-lock.json changed or never installed)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
done

echo "setup-debian.sh: Debian packages and npm dependencies are in place"
