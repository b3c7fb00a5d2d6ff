"""Shared fixtures: the bundled digits model imported by the built vitimport, its images, and
the tools to compare with. VITCPP_BUILD (default: <repo>/build) locates the tools."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VITCPP_BUILD", ROOT / "build"))


def tool(name):
    return str(BUILD / "tools" / name)


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits") / "model"
    subprocess.run([tool("vitimport"), "--checkpoint", str(ROOT / "models/bundled/digits"), "--out", str(folder),
                    "--no-cache"], check=True, capture_output=True)
    return str(folder)


@pytest.fixture(scope="session")
def images():
    return sorted(str(p) for p in (ROOT / "models/bundled/digits/images").glob("*.png"))
