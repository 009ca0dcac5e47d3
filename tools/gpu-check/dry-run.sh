#!/usr/bin/env bash
# The whole device sequence on this machine, CPU only: pack (fast compression unless --best), one device-step per part
# from a copy of the carried files, then the check in quick mode. Fails when a part is over 60 MiB, a step fails, or the
# report is not ok. Run by the tests (tests/BertIgGrpc.Engine.Tests, GpuCheckKitTests) so the kit never rots.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bertig-gpu-dry-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
export BERTIG_GPU_KIT_OUT="$work/artifacts/gpu-check" BERTIG_GPU_KIT_DIR="$work/kit"
fast=--fast; [ "${1:-}" = "--best" ] && fast=

"$root/tools/gpu-check/pack.sh" $fast
limit=$((60 * 1024 * 1024))
for p in "$BERTIG_GPU_KIT_OUT"/parts/part-*; do
  size=$(stat -c %s "$p")
  [ "$size" -le "$limit" ] || { echo "dry-run: $(basename "$p") is $size bytes, over 60 MiB" >&2; exit 1; }
done

# Each device call lays the working tree anew and brings only the carried files: copy just those per step.
n=$(awk '$1 == "parts" { print $2 }' "$BERTIG_GPU_KIT_OUT/MANIFEST")
for ((k = 0; k < n; k++)); do
  call="$work/call-$k"
  mkdir -p "$call/artifacts/gpu-check/parts"
  cp "$BERTIG_GPU_KIT_OUT/MANIFEST" "$call/artifacts/gpu-check/"
  cp "$BERTIG_GPU_KIT_OUT/parts/$(printf 'part-%02d' "$k")" "$call/artifacts/gpu-check/parts/"
  (cd "$call" && OUT="$work/out" BERTIG_GPU_CHECK_ARGS="--quick" bash "$root/tools/gpu-check/device-step.sh" "$k")
  rm -rf "$call"
done

report="$work/out/gpu-report.json"
[ -f "$report" ] || { echo "dry-run: the check wrote no report" >&2; exit 1; }
grep -q '"ok": true' "$report" || { echo "dry-run: the report is not ok" >&2; cat "$report" >&2; exit 1; }
echo "dry-run: ok ($n parts, every one at most 60 MiB)"
