"""`pip install --no-build-isolation ./clientpy` works offline (Debian's python3-setuptools),
in a fresh virtual environment, and the installed package imports from there."""
import os
import shutil
import subprocess
import sys

import pytest

CLIENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_pip_install_offline_in_a_venv(tmp_path):
    try:
        import setuptools  # noqa: F401
        import venv  # noqa: F401
    except ImportError:  # pragma: no cover
        pytest.skip("setuptools or venv missing")
    src = tmp_path / "clientpy"   # a copy: the build leaves build/ and *.egg-info behind
    shutil.copytree(CLIENT, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)],
                   check=True, timeout=60)
    py = str(env_dir / "bin" / "python")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    r = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-build-isolation",
                        str(src)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([py, "-c", "import pyfora, sys; print(pyfora.__file__); "
                        "print(pyfora.connect, pyfora.PyforaError)"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    assert str(env_dir) in r.stdout.splitlines()[0]
