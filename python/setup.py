"""Builds cort._cort: the extension module (python/src/*.c) with the whole cort library (../src/**/*.c)
compiled into it, so `pip install ./python` needs nothing prebuilt."""
import glob
import os
import platform

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB_SRC = os.path.join(ROOT, "src")


def library_sources():
    """src/**/*.c as the CMake build picks them: per-ISA kernel folders only for this machine's ISA."""
    sources = glob.glob(os.path.join(LIB_SRC, "**", "*.c"), recursive=True)
    isa_dirs = {"x86": ("x86_64", "amd64"), "arm": ("aarch64", "arm64"), "wasm": ()}
    machine = platform.machine().lower()

    def wanted(path):
        rel = os.path.relpath(path, LIB_SRC).split(os.sep)
        if len(rel) > 2 and rel[0] == "kernels" and rel[1] in isa_dirs:
            return machine in isa_dirs[rel[1]]
        return True

    return sorted(p for p in sources if wanted(p))


class LibraryBuildExt(build_ext):
    """Adds the library's sources at build time (setup() itself only takes paths inside this folder, and
    they lie one level up) and compiles them on every core (setuptools builds one at a time by default)."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        for ext in self.extensions:
            ext.sources = list(ext.sources) + library_sources()
        super().build_extensions()


extension = Extension(
    "cort._cort",
    sources=sorted(os.path.relpath(p, HERE) for p in glob.glob(os.path.join(HERE, "src", "*.c"))),
    include_dirs=[os.path.join(ROOT, "include"), LIB_SRC, os.path.join(HERE, "src"), numpy.get_include()],
    define_macros=[("_GNU_SOURCE", None)],
    extra_compile_args=["-std=c11", "-O3", "-fvisibility=hidden", "-Wno-unused-parameter"],
    extra_link_args=["-pthread"],
    libraries=["m"],
)

setup(ext_modules=[extension], cmdclass={"build_ext": LibraryBuildExt})
