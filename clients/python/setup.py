"""Generates the gRPC stubs from protos/ before setuptools discovers packages (build_protos.py), and takes the version
from the repository's VERSION file (the one version of every BertIgGrpc package).

Building from an sdist, which already carries src/bertig_client/_gen and its version in PKG-INFO, needs neither protos/
nor VERSION.
"""

import sys
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
# PEP 517 backends exec this file without its directory on sys.path.
sys.path.insert(0, str(HERE))
import build_protos  # noqa: E402


def _version() -> str:
    repository_version = HERE.parent.parent / "VERSION"
    if repository_version.is_file():
        return repository_version.read_text(encoding="utf-8").strip()
    for line in (HERE / "PKG-INFO").read_text(encoding="utf-8").splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("setup.py: no ../../VERSION (repository) and no Version in PKG-INFO (sdist)")


if build_protos.DEFAULT_PROTO_ROOT.joinpath("bertig", "v1", "explainer.proto").is_file():
    build_protos.generate()

setup(version=_version(), packages=find_packages("src"))
