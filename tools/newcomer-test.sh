#!/usr/bin/env bash
# A newcomer's first hour, automated: clones this repository (its committed HEAD) into a temporary folder and, there,
# runs README.md's commands and client examples as written, taking them from the README itself; fails at the first
# that fails. Steps:
#   1. the quick start block: tools/setup-debian.sh, then the server (`dotnet run --project src/BertIgGrpc.Server`,
#      in the background; `dotnet test BertIgGrpc.sln` is skipped: it is what CI runs anyway);
#   2. the dashboard page at http://127.0.0.1:8080/;
#   3. every other bash block of the quick start and Clients sections (buf curl, the CLI) as written;
#   4. the C#, TypeScript and Python examples, saved and run the way the README's text says.
# It needs the README's ports 50051 and 8080 free. It reuses the NuGet, npm and model caches (~/.cache/bertig), so a
# second run costs builds only. Run by NewcomerTests (dotnet test); alone: tools/newcomer-test.sh.
set -euo pipefail
source_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d -t bertig-newcomer-XXXXXX)"
clone="$work/clone"
server_pid=""

# Build settings the calling `dotnet test` leaves in the environment would leak into the clone's builds; and no build
# server may outlive the script (it would hold the caller's output pipe open).
for variable in $(compgen -e); do
  case $variable in MSBuild* | MSBUILD* | VSTEST* | DOTNET_HOST_PATH) unset "$variable" ;; esac
done
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

cleanup() {
  if [[ -n $server_pid ]]; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== newcomer: %s\n' "$*"; }
# On failure, also show whether the quick-start server still runs and the end of its log (the log is deleted with $work).
fail() {
  echo "newcomer-test: $*" >&2
  if [[ -n ${server_pid:-} && -f $work/server.log ]]; then
    echo "newcomer-test: the server (pid $server_pid) $(kill -0 "$server_pid" 2>/dev/null && echo "still runs" || echo "has exited"); the end of its log:" >&2
    tail -n 40 "$work/server.log" >&2
  fi
  exit 1
}

# Prints the first fenced block of language $1 whose text contains $2 (fixed string).
readme_block() {
  awk -v lang="$1" -v marker="$2" '
    $0 == "```" lang { inside = 1; block = ""; next }
    inside && $0 == "```" { inside = 0; if (index(block, marker)) { printf "%s", block; found = 1; exit } next }
    inside { block = block $0 "\n" }
    END { exit found ? 0 : 1 }' "$clone/README.md" || fail "README.md has no \`\`\`$1 block containing '$2'"
}

# Fails unless the README's text says $1 (the examples' run instructions live in prose).
readme_says() { grep -qF -- "$1" "$clone/README.md" || fail "README.md no longer says '$1': update tools/newcomer-test.sh with it"; }

# Runs $1 (bash) in $2 with a time limit; its output must contain $3.
run_expecting() {
  local command="$1" directory="$2" expected="$3" output
  echo "\$ $command"
  # bash -e: a failing line of a multi-line example fails the example (not only its last line).
  output="$(cd "$directory" && timeout 600 bash -e -c "$command" 2>&1)" || { echo "$output"; fail "'$command' failed"; }
  echo "$output" | tail -n 15
  grep -qF -- "$expected" <<<"$output" || fail "'$command' did not print '$expected'"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

step "clone"
git clone --quiet --no-hardlinks "$source_repo" "$clone"
cd "$clone"
for port in 50051 8080; do port_free "$port" || fail "port $port (the README's) is in use; stop what listens there"; done

step "quick start"
quick_start="$(readme_block bash "dotnet run --project src/BertIgGrpc.Server")"
while IFS= read -r line; do
  command="$(sed -E 's/[[:space:]]+#.*$//' <<<"$line")"
  [[ -z $command ]] && continue
  case $command in
    "dotnet test"*) echo "(skipped: $command: CI runs it)" ;;
    "dotnet run --project src/BertIgGrpc.Server"*)
      echo "\$ $command &"
      setsid bash -c "exec $command" >"$work/server.log" 2>&1 &
      server_pid=$!
      ;;
    *) echo "\$ $command"; timeout 900 bash -c "$command" || fail "'$command' failed" ;;
  esac
done <<<"$quick_start"
[[ -n $server_pid ]] || fail "the quick start block starts no server"

step "waiting for the server (build, first-start model build, SERVING)"
deadline=$((SECONDS + 900))
until [[ "$(curl -fsS http://127.0.0.1:8080/healthz 2>/dev/null)" == "Healthy" ]]; do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  ((SECONDS < deadline)) || fail "the server did not become healthy within 15 minutes"
  sleep 1
done

step "dashboard"
readme_says "Open http://127.0.0.1:8080/ for the live dashboard"
# Read the whole page first: `curl | grep -q` fails under pipefail when grep stops reading early (curl error 23).
page="$(curl -fsS http://127.0.0.1:8080/)" || fail "http://127.0.0.1:8080/ did not answer"
grep -qi "<script" <<<"$page" || fail "http://127.0.0.1:8080/ serves no dashboard page"

step "the other bash examples (quick start and Clients sections)"
awk '/^## Quick start/ { on = 1 } /^## Your own models/ { on = 0 }
     on && $0 == "```bash" { inside = 1; block = ""; next }
     on && inside && $0 == "```" { inside = 0; printf "%s%c", block, 0; next }
     inside { block = block $0 "\n" }' "$clone/README.md" >"$work/bash-blocks"
count=0
while IFS= read -r -d '' block; do
  [[ $block == *"dotnet run --project src/BertIgGrpc.Server"* ]] && continue # the quick start block, run above
  count=$((count + 1))
  run_expecting "$block" "$clone" "superb"
done <"$work/bash-blocks"
((count >= 2)) || fail "expected the buf curl and CLI examples, found $count bash examples"

step "C# example"
readme_says '<ProjectReference Include="clients/csharp/src/BertIgGrpc.Client/BertIgGrpc.Client.csproj" />'
mkdir -p "$work/csharp-example"
cat >"$work/csharp-example/example.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$clone/clients/csharp/src/BertIgGrpc.Client/BertIgGrpc.Client.csproj" />
  </ItemGroup>
</Project>
EOF
readme_block csharp "BertIgClient.Create" >"$work/csharp-example/Program.cs"
run_expecting "dotnet run" "$work/csharp-example" "superb"

step "TypeScript example"
readme_says 'run `npm ci && npm run build` there, save this as `example.mjs` in that'
readme_says 'folder and run `node example.mjs`'
readme_block js "@bertig/client" >"$clone/clients/typescript/example.mjs"
run_expecting "npm ci --no-audit --no-fund && npm run build" "$clone/clients/typescript" ""
run_expecting "node example.mjs" "$clone/clients/typescript" "superb"

step "Python example"
readme_says '`/usr/bin/python3 build_protos.py` once, save this as `example.py` and run `PYTHONPATH=src /usr/bin/python3 example.py`'
readme_block python "bertig_client" >"$clone/clients/python/example.py"
run_expecting "/usr/bin/python3 build_protos.py" "$clone/clients/python" ""
run_expecting "PYTHONPATH=src /usr/bin/python3 example.py" "$clone/clients/python" "superb"

step "every README command and example worked"
