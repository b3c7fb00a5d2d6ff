"""Builds the vitcpp Python package with the repository's CMake build (no download):

    pip install --no-build-isolation --break-system-packages ./python

CMake configures the repository root (this folder's parent) with VITCPP_PYTHON=ON and builds
only the module; ccache is used when installed.
"""
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = Path(self.build_temp).resolve() / "cmake"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                     "-DVITCPP_BUILD_TESTS=OFF", "-DVITCPP_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}"]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        if shutil.which("ccache"):
            configure += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_vitcpp"])
        built = next((build / "python" / "vitcpp").glob("_vitcpp*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(
    name="vitcpp",
    version="0.1.0",
    description="Vision Transformer inference on CPUs without PyTorch",
    packages=["vitcpp"],
    ext_modules=[Extension("vitcpp._vitcpp", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
)
