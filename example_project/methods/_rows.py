"""Parse and check one raw sales row (a helper module: the underscore keeps it from being a method)."""

from datetime import date


class BadRow(ValueError):
    """A row that cannot be used; the message says why."""


def parse_row(raw):
    """The row with proper types (date, str, str, int, float), or BadRow saying what is wrong."""
    try:
        day = date.fromisoformat(_field(raw, "date"))
    except ValueError:
        raise BadRow("bad date") from None
    units = _field(raw, "units")
    if not units:
        raise BadRow("blank units")
    try:
        units = int(units)
    except ValueError:
        raise BadRow("units not a whole number") from None
    try:
        unit_price = float(_field(raw, "unit_price"))
    except ValueError:
        raise BadRow("unit_price not a number") from None
    if unit_price < 0:
        raise BadRow("negative price")
    return {
        "date": day,
        "region": _field(raw, "region"),
        "product": _field(raw, "product"),
        "units": units,
        "unit_price": unit_price,
    }


def _field(raw, name):
    # A short CSV line gives None for the missing columns.
    return (raw.get(name) or "").strip()
