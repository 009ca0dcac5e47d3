"""Generates the Python stubs for bertig-client from the repository's protos/.

Runs at build time (setup.py's build_py) and at test time (tests/conftest.py); the output in
src/bertig_client/_gen/ is never committed. Uses grpcio-tools when it is importable (PyPI
installs), else the system ``protoc`` with ``grpc_python_plugin`` (Debian's
protobuf-compiler and protobuf-compiler-grpc).

protoc names Python modules after proto paths (``from buf.validate import validate_pb2``), which
would need the output directory on sys.path and would clash with the real ``google`` and
``grpc`` packages; so imports of the generated packages are rewritten to live under
``bertig_client._gen``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PROTO_ROOT = HERE.parent.parent / "protos"
VENDOR_ROOT = HERE / "proto-vendor"
OUT = HERE / "src" / "bertig_client" / "_gen"
PACKAGE = "bertig_client._gen"

# (proto root, files relative to it)
def _inputs(proto_root: Path) -> list[tuple[Path, list[str]]]:
    return [
        (proto_root, sorted(str(p.relative_to(proto_root)) for p in (proto_root / "bertig").rglob("*.proto"))
         + ["buf/validate/validate.proto"]),
        (VENDOR_ROOT, ["google/rpc/status.proto", "google/rpc/error_details.proto", "grpc/health/v1/health.proto"]),
    ]

# Top-level proto packages we generate; their imports get the bertig_client._gen prefix.
_GENERATED_ROOTS = ("bertig", "buf", "google.rpc", "grpc.health")
_IMPORT = re.compile(r"^from (" + "|".join(re.escape(r) for r in _GENERATED_ROOTS) + r")((?:\.\w+)*) import ", re.M)


def _protoc_command(proto_paths: list[Path]) -> list[str]:
    includes = [f"-I{p}" for p in proto_paths]
    try:
        import grpc_tools  # noqa: F401  (PyPI's grpcio-tools bundles protoc and the plugin)
        from importlib.resources import files

        well_known = str(files("grpc_tools") / "_proto")
        return [sys.executable, "-m", "grpc_tools.protoc", *includes, f"-I{well_known}",
                f"--python_out={OUT}", f"--grpc_python_out={OUT}"]
    except ImportError:
        protoc = shutil.which("protoc")
        plugin = shutil.which("grpc_python_plugin")
        if protoc is None or plugin is None:
            raise SystemExit(
                "build_protos: need grpcio-tools, or protoc and grpc_python_plugin on PATH "
                "(Debian: tools/setup-debian.sh, or apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev)")
        # descriptor.proto, any.proto and duration.proto: Debian ships them in libprotobuf-dev (/usr/include).
        if protoc == "/usr/bin/protoc" and not Path("/usr/include/google/protobuf/descriptor.proto").is_file():
            raise SystemExit(
                "build_protos: protoc's well-known .proto files are missing (google/protobuf/descriptor.proto) "
                "(Debian: tools/setup-debian.sh, or apt-get install libprotobuf-dev)")
        return [protoc, *includes, f"--plugin=protoc-gen-grpc_python={plugin}",
                f"--python_out={OUT}", f"--grpc_python_out={OUT}"]


def generate(proto_root: Path = DEFAULT_PROTO_ROOT) -> Path:
    """Regenerates src/bertig_client/_gen from proto_root and the vendored protos."""
    proto_root = proto_root.resolve()
    if not (proto_root / "bertig" / "v1" / "explainer.proto").is_file():
        raise SystemExit(f"build_protos: {proto_root} has no bertig/v1/explainer.proto")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    inputs = _inputs(proto_root)
    command = _protoc_command([root for root, _ in inputs])
    files = [str(root / f) for root, names in inputs for f in names]
    subprocess.run([*command, *files], check=True)

    for path in OUT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        rewritten = _IMPORT.sub(lambda m: f"from {PACKAGE}.{m.group(1)}{m.group(2)} import ", text)
        if rewritten != text:
            path.write_text(rewritten, encoding="utf-8")
    # Regular packages, so the generated tree imports the same way on every Python.
    for directory in [OUT, *(p for p in OUT.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    return OUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proto-root", type=Path,
                        default=Path(os.environ.get("BERTIG_PROTO_ROOT", DEFAULT_PROTO_ROOT)))
    args = parser.parse_args()
    out = generate(args.proto_root)
    print(f"build_protos: generated {sum(1 for _ in out.rglob('*_pb2*.py'))} modules in {out}")


if __name__ == "__main__":
    main()
