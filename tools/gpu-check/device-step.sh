#!/usr/bin/env bash
# One device call of the GPU check. Run from the repository root on the device machine:
#
#   bash tools/gpu-check/device-step.sh K [K2]  with carry [artifacts/gpu-check/MANIFEST, artifacts/gpu-check/parts/part-K, ...]
#   bash tools/gpu-check/device-step.sh run    runs the check again on a kit already unpacked (machine still warm)
#
# Step K checks part K against the manifest and keeps it in the kit folder (outside the working tree, which each
# call lays anew). The step that completes the set reassembles the archive, checks it, unpacks it, points
# LD_LIBRARY_PATH at the CUDA libraries of the machine's Python environment and runs the check, whose JSON report
# lands in $OUT/gpu-report.json. Every step but the last returns in seconds, so the machine stays warm between calls.
#
# Environment: BERTIG_GPU_KIT_DIR (kit folder, default /tmp/bertig-gpu-kit), BERTIG_GPU_KIT_SRC (where the carried
# files are, default artifacts/gpu-check), BERTIG_GPU_CHECK_ARGS (extra arguments for the check, e.g. --quick).
set -euo pipefail
step=${1:?usage: device-step.sh K|run}
kit=${BERTIG_GPU_KIT_DIR:-/tmp/bertig-gpu-kit}
src=${BERTIG_GPU_KIT_SRC:-artifacts/gpu-check}
mkdir -p "$kit/parts"
[ -f "$src/MANIFEST" ] && cp "$src/MANIFEST" "$kit/MANIFEST"
[ -f "$kit/MANIFEST" ] || { echo "device-step: no MANIFEST (carry $src/MANIFEST)" >&2; exit 2; }
expected=$(awk '$1 == "parts" { print $2 }' "$kit/MANIFEST")
format=$(awk '$1 == "format" { print $2 }' "$kit/MANIFEST")

if [ "$step" != run ]; then
  if [ "$((10#$step))" -eq 0 ]; then   # the first call also says what the machine is
    echo "device-step: $(nvidia-smi -L 2>/dev/null || echo 'no nvidia-smi'); $(python3 --version 2>&1); $(nproc) cores"
  fi
  for k in "$@"; do                     # one part per call, or several small ones (the last base part and the app)
    part=$(printf 'part-%02d' "$((10#$k))")
    [ -f "$src/parts/$part" ] || { echo "device-step: $src/parts/$part was not carried" >&2; exit 2; }
    want=$(awk -v p="$part" '$2 == p { print $1 }' "$kit/MANIFEST")
    got=$(sha256sum "$src/parts/$part" | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "device-step: $part sha256 $got, manifest says $want" >&2; exit 1; }
    cp "$src/parts/$part" "$kit/parts/$part"
    echo "device-step: $part ok ($(du -m "$kit/parts/$part" | cut -f1) MiB)"
  done
  have=$(ls "$kit/parts" | wc -l)
  echo "device-step: $have of $expected parts kept in $kit"
  [ "$have" -lt "$expected" ] && exit 0

  started=$(date +%s)
  rm -rf "$kit/app"; mkdir -p "$kit/app"
  # Each archive line: "archive NAME SHA256 PART..."; reassemble, check and unpack each.
  while read -r _ name want members; do
    (cd "$kit/parts" && cat $members) > "$kit/$name.tar.$format"
    got=$(sha256sum "$kit/$name.tar.$format" | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "device-step: reassembled $name archive sha256 $got, manifest says $want" >&2; exit 1; }
    if [ "$format" = xz ]; then xz -dc -T0 "$kit/$name.tar.xz" | tar -C "$kit/app" -xf -
    else zstd -dc -q "$kit/$name.tar.zst" | tar -C "$kit/app" -xf -; fi
    rm -f "$kit/$name.tar.$format"
  done < <(awk '$1 == "archive"' "$kit/MANIFEST")
  echo "device-step: unpacked in $(( $(date +%s) - started )) s"
fi

app="$kit/app/bertig-gpu-check"
[ -x "$app/BertIgGrpc.GpuCheck" ] || { echo "device-step: no unpacked kit in $kit/app (send every part first)" >&2; exit 2; }

# The CUDA user-space libraries live in the machine's Python environment (pip's nvidia-* packages).
cuda_dirs=$(python3 - <<'PY' 2>/dev/null || true
import glob, os
dirs = set()
try:
    import nvidia
    for base in list(nvidia.__path__):
        for so in glob.glob(os.path.join(base, "**", "lib*.so*"), recursive=True):
            dirs.add(os.path.dirname(so))
except Exception:
    pass
print(":".join(sorted(dirs)))
PY
)
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64; do [ -d "$d" ] && cuda_dirs="${cuda_dirs:+$cuda_dirs:}$d"; done
export LD_LIBRARY_PATH="$app${cuda_dirs:+:$cuda_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "device-step: CUDA library folders: ${cuda_dirs:-none found}"
missing=$(ldd "$app/libonnxruntime_providers_cuda.so" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ')
echo "device-step: libraries the CUDA provider lacks: ${missing:-none}"
# Without ICU .NET needs invariant globalization; the seed texts are ASCII, so their tokens are unaffected.
if ! grep -q libicuuc <<<"$(ldconfig -p 2>/dev/null)"; then
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  echo "device-step: no libicu on this machine: running with invariant globalization"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1
# shellcheck disable=SC2086
"$app/BertIgGrpc.GpuCheck" --cache "$kit/cache" ${BERTIG_GPU_CHECK_ARGS:-}
