# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
"""Builds libwinsum with CMake into the winsum Python package.

pyproject.toml holds the metadata; this file adds what setuptools cannot
say declaratively: the version from CMakeLists.txt's project(VERSION), a
CMake build of the shared library (no tools, no tests) whose
libwinsum.so.0 goes into the package folder, where winsum/_lib.py finds it
beside the package, and a platform wheel (the package carries a native
library). The CMake build folder is build-python/ (set WINSUM_CMAKE_ARGS to
add options, CMAKE_BUILD_PARALLEL_LEVEL for jobs). It needs what the C
build needs: cmake, a C compiler, the OpenCL headers and ICD loader.
"""
import os
import re
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY = "libwinsum.so.0"


def version():
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(winsum VERSION ([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("setup.py: no project(winsum VERSION ...) in CMakeLists.txt")
    return m.group(1)


class BuildWithLibrary(build_py):
    """build_py, then libwinsum.so.0 built by CMake into the built package."""

    def run(self):
        super().run()
        build = os.path.join(HERE, "build-python")
        configure = ["cmake", "-S", HERE, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                     "-DWINSUM_BUILD_TOOLS=OFF", "-DWINSUM_BUILD_TESTS=OFF"]
        configure += os.environ.get("WINSUM_CMAKE_ARGS", "").split()
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", build, "--target", "winsum", "-j", jobs])
        target = os.path.join(self.build_lib, "winsum")
        os.makedirs(target, exist_ok=True)
        # the real file under the soname (a wheel keeps no symbolic links)
        shutil.copyfile(os.path.join(build, LIBRARY), os.path.join(target, LIBRARY))


class BinaryDistribution(Distribution):
    """The package carries a native library: a platform wheel, not 'any'."""

    def has_ext_modules(self):
        return True


setup(version=version(), cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution,
      zip_safe=False)
