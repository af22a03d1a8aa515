"""options.convert: a UTC offset under a second (``+00:00:00.000001``) in an ISO string is
kept: CPython 3.11's fromisoformat reads it as UTC. (Kept declarations hold only naive ones.)"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from acbuild.options import convert

TINY = timezone(timedelta(microseconds=1))
VALUES = [time(0, 0, tzinfo=TINY), time(1, 2, 3, 4, tzinfo=timezone(-timedelta(microseconds=5))),
          datetime(2020, 1, 2, tzinfo=TINY)]


def test_an_option_given_as_an_iso_string_keeps_the_offset() -> None:
    for value in VALUES:
        _, to_kind = convert.TYPES[type(value)]
        got = to_kind(value.isoformat())
        assert got == value and got.utcoffset() == value.utcoffset() != timedelta(0)
