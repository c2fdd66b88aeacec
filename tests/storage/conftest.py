"""Fixtures of the Redis store tests: a client of the test Redis and a private key prefix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from magistrate.redis_store import connect
from tests.servers import REDIS_URL, redis_prefix


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    c = connect(REDIS_URL)
    yield c
    c.close()


@pytest.fixture
def prefix() -> Iterator[str]:
    with redis_prefix() as p:
        yield p
