"""The bounded cache with expiry that holds data keys and decrypted secrets."""

from __future__ import annotations

import pytest

from signal_copier.vault.ttl import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_until_its_ttl_then_is_gone() -> None:
    clock = Clock()
    cache: TtlCache[str, bytes] = TtlCache(ttl=10, size=4, clock=clock)
    cache.put("a", b"1")

    clock.now = 9.9
    assert cache.get("a") == b"1"
    clock.now = 10.0
    assert cache.get("a") is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first_past_the_size() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=60, size=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")  # a is now the most recently used

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_evict_and_clear_forget_entries() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=60, size=4, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)

    cache.evict("a")
    cache.evict("missing")
    assert (cache.get("a"), cache.get("b")) == (None, 2)
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(("ttl", "size"), [(0, 1), (-1, 1), (1, 0)])
def test_a_cache_without_lifetime_or_room_is_refused(ttl: float, size: int) -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        TtlCache(ttl=ttl, size=size)
