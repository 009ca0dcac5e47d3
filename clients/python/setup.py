"""Generates the gRPC stubs from protos/ before setuptools discovers packages (build_protos.py).

Building from an sdist, which already carries src/bertig_client/_gen, skips the generation.
"""

from setuptools import find_packages, setup

import build_protos

if build_protos.DEFAULT_PROTO_ROOT.joinpath("bertig", "v1", "explainer.proto").is_file():
    build_protos.generate()

setup(packages=find_packages("src"))
