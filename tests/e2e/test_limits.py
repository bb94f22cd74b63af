"""Resource limits: a huge allocation or a deep recursion raises in the client and leaves the
daemon serving the next computation."""
import pytest


def _huge_power():
    return 2 ** (10 ** 12)


def _deep(n):
    return 0 if n == 0 else 1 + _deep(n - 1)


def test_huge_power_is_memoryerror_and_daemon_survives(executor, daemon):
    with pytest.raises(MemoryError):
        with executor.remotely.downloadAll():
            r = _huge_power()
    assert daemon.proc.poll() is None
    with executor.remotely.downloadAll():
        r = _deep(50) + 2 ** 70
    assert r == _deep(50) + 2 ** 70


def test_deep_recursion_is_recursionerror_and_daemon_survives(executor, daemon):
    with pytest.raises(RecursionError):
        with executor.remotely.downloadAll():
            r = _deep(10 ** 6)
    assert daemon.proc.poll() is None
    with executor.remotely.downloadAll():
        r = _deep(500)
    assert r == _deep(500)
