"""Generates the gRPC stubs from protos/ before setuptools discovers packages (build_protos.py).

Building from an sdist, which already carries src/bertig_client/_gen, skips the generation.
"""

import sys
from pathlib import Path

from setuptools import find_packages, setup

# PEP 517 backends exec this file without its directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_protos  # noqa: E402

if build_protos.DEFAULT_PROTO_ROOT.joinpath("bertig", "v1", "explainer.proto").is_file():
    build_protos.generate()

setup(packages=find_packages("src"))
