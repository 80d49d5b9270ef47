"""SQLite's stored times: microseconds since the epoch, and fixed-width UTC text in time order."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from signal_copier.core.errors import InvalidInput
from signal_copier.store.sqlite.db import micros, stamp


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 5, 9, tzinfo=UTC), "2026-01-05T09:00:00.000000Z"),
        (datetime(2026, 1, 5, 9, 0, 0, 7, tzinfo=UTC), "2026-01-05T09:00:00.000007Z"),
        (
            datetime(2026, 1, 5, 11, 30, tzinfo=timezone(timedelta(hours=2, minutes=30))),
            "2026-01-05T09:00:00.000000Z",
        ),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_a_time_is_stored_as_fixed_width_utc_text(moment: datetime, text: str) -> None:
    assert stamp(moment) == text


def test_stored_texts_sort_as_their_times_do() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=-5)))
    moments = [start + timedelta(microseconds=step * 999_983) for step in range(-50, 50)]

    texts = [stamp(m) for m in moments]

    assert sorted(texts) == texts and len(set(texts)) == len(texts)
    assert [micros(m) for m in moments] == sorted(micros(m) for m in moments)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="naive"):
        stamp(datetime(2026, 1, 5, 9))
