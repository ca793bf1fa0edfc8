"""Fixtures for tests/dlopen (the helpers are in dlhelpers.py)."""
import pytest

from dlhelpers import Runner, build


@pytest.fixture(scope="session", autouse=True)
def built():
    err = build()
    if err:
        pytest.fail(err, pytrace=False)


@pytest.fixture
def dl_run(tmp_path):
    return Runner(tmp_path)
