"""Shared fixtures."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import pyfora  # noqa: E402
from fakedaemon import FakeDaemon  # noqa: E402


@pytest.fixture
def daemon():
    d = FakeDaemon()
    yield d
    d.stop()


@pytest.fixture
def executor(daemon):
    ex = pyfora.connect(daemon.url, timeout=5)
    yield ex
    ex.close()
