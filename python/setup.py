"""Installs the ustack package (python/ustack/) with the Bazel-built _ustack.so.

Nothing is compiled here: Bazel builds the binding (`bazel build //python:_ustack.so`) and
build_ext copies it into the wheel as the top-level extension module _ustack. The .so is
taken from $USTACK_SO, else _ustack.so next to this file, else ../bazel-bin/python/_ustack.so.
It is built for one interpreter (the one third_party/python3/repo.bzl found, Debian's
/usr/bin/python3 by default): install it into that interpreter or a venv made from it.
"""
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def built_module():
    for path in (os.environ.get("USTACK_SO"), os.path.join(HERE, "_ustack.so"),
                 os.path.join(HERE, "..", "bazel-bin", "python", "_ustack.so")):
        if path and os.path.isfile(path):
            return path
    raise SystemExit("ustack: no _ustack.so: run `bazel build //python:_ustack.so` first "
                     "(or point USTACK_SO at it)")


class CopyBazelModule(build_ext):
    """build_ext that copies the Bazel-built module instead of compiling."""

    def build_extension(self, ext):
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built_module(), dest)


setup(
    packages=["ustack"],
    ext_modules=[Extension("_ustack", sources=[])],
    cmdclass={"build_ext": CopyBazelModule},
)
