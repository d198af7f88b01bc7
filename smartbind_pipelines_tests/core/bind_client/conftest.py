"""Fixtures of the Bind client tests: recorded sleeps, a client on the Bind emulator."""

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines_tests.core.bind_client.support import Sleeps


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(bind_emulator, sleeps):
    with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 5), sleep=sleeps) as bind:
        yield bind
