"""The time types: datetime and date, stored and keyed as ISO-8601 text that sorts in time order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from dynamodel.attribute_types.base import AttributeType, AttributeValue, WireEncoder
from dynamodel.attribute_types.keycoding import decode_date, decode_datetime, encode_datetime, wrong_type
from dynamodel.errors import RequestError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

_UTC = dt.UTC
_fromisoformat = dt.datetime.fromisoformat
_TWO = tuple(f"{n:02d}" for n in range(100))


def datetime_text(v: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; RequestError for a naive datetime."""
    if v.tzinfo is not _UTC:
        offset = v.utcoffset()
        if offset is None:
            msg = f"naive datetime {v.isoformat()} has no timezone, so its instant is unknown"
            raise RequestError(
                msg, hint="attach a tzinfo, e.g. datetime.now(timezone.utc) or dt.replace(tzinfo=UTC)"
            )
        if offset:
            try:
                v = v.astimezone(_UTC)
            except (OverflowError, ValueError):
                msg = f"datetime {v.isoformat()} falls outside years 1..9999 once converted to UTC"
                raise RequestError(msg, hint="use a datetime within years 1..9999 UTC") from None
    # Table lookups for the two-digit fields: half the cost of %-formatting, which was most of
    # the cost of writing a datetime.
    year, micro = v.year, v.microsecond
    return (
        f"{_TWO[year // 100]}{_TWO[year % 100]}-{_TWO[v.month]}-{_TWO[v.day]}"
        f"T{_TWO[v.hour]}:{_TWO[v.minute]}:{_TWO[v.second]}"
        f".{_TWO[micro // 10000]}{_TWO[micro // 100 % 100]}{_TWO[micro % 100]}Z"
    )


def _ser_datetime(v: dt.datetime) -> AttributeValue:
    return {"S": datetime_text(v)}


def _enc_datetime(v: object) -> AttributeValue | None:
    return {"S": datetime_text(v)} if isinstance(v, dt.datetime) else None


def _parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:  # written by another tool without an offset: read as UTC
        return value.replace(tzinfo=_UTC)
    if value.tzinfo is not _UTC:
        return value.astimezone(_UTC)
    return value


def _de_datetime(av: AttributeValue) -> object:
    value = _fromisoformat(av["S"])
    # What dynamodel writes ("...Z") reads back in UTC already: no second call for it.
    return value if value.tzinfo is _UTC else _parse_datetime(av["S"])


class DateTimeType(AttributeType):
    """Aware datetimes, stored as UTC ``2024-01-02T03:04:05.000000Z`` so text order is time order."""

    name: ClassVar[str] = "datetime"
    python_types: ClassVar[tuple[type, ...]] = (dt.datetime,)
    dynamodb_type: ClassVar[str] = "S"
    expected: ClassVar[str] = "an aware datetime"
    keyable = native_key = pooled = True

    def encode_key(self, value: object) -> str:
        return encode_datetime(value)

    def decode_key(self, text: str) -> object:
        return decode_datetime(text)

    to_wire = staticmethod(_enc_datetime)
    from_wire = staticmethod(_de_datetime)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {dt.datetime: _ser_datetime}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return _ser_datetime(value) if isinstance(value, dt.datetime) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
        return st.datetimes(
            min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1), timezones=offsets
        )

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (
            dt.datetime(1985, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(1999, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.datetime(2005, 3, 4, 5, 6, 7, 890123, tzinfo=_UTC),
            dt.datetime(2024, 2, 29, tzinfo=_UTC),
        )

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return dt.datetime(2024, 5, n + 1, 9, 30, tzinfo=_UTC)

    def parse(self, text: str) -> object:
        return dt.datetime.fromisoformat(text)


def _ser_date(v: dt.date) -> AttributeValue:
    return {"S": v.isoformat()}


def _enc_date(v: object) -> AttributeValue | None:
    return {"S": v.isoformat()} if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else None


def _de_date(av: AttributeValue) -> object:
    return dt.date.fromisoformat(av["S"])


class DateType(AttributeType):
    """Calendar dates, stored as ``YYYY-MM-DD``."""

    name: ClassVar[str] = "date"
    python_types: ClassVar[tuple[type, ...]] = (dt.date,)
    dynamodb_type: ClassVar[str] = "S"
    expected: ClassVar[str] = "a date (not a datetime: its time would be lost)"
    keyable = native_key = pooled = True

    def encode_key(self, value: object) -> str:
        # datetime is a subclass of date; silently dropping its time would merge keys.
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise wrong_type(value, "date", "a date (not a datetime)")
        return value.isoformat()

    def decode_key(self, text: str) -> object:
        return decode_date(text)

    to_wire = staticmethod(_enc_date)
    from_wire = staticmethod(_de_date)

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {dt.date: _ser_date}

    def wire_fallback(self, value: object) -> AttributeValue | None:
        return _ser_date(value) if isinstance(value, dt.date) else None

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> SearchStrategy[Any]:
        from hypothesis import strategies as st  # noqa: PLC0415 - test-only dependency

        return st.dates(dt.date(1970, 1, 1), dt.date(2200, 1, 1))

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (dt.date(1985, 6, 1), dt.date(1999, 12, 31), dt.date(2005, 3, 4), dt.date(2024, 2, 29))

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return dt.date(2024, 5, n + 1)

    def parse(self, text: str) -> object:
        return dt.date.fromisoformat(text)
