"""Ids from query strings: ASCII digits that fit a database integer, or nothing.

Not str.isdigit(): "²" and "٣" are digits to it but not to int(); and not any length: a 30-digit
number overflows SQLite's INTEGER and PostgreSQL's bigint, which would be a 500, not a "no such".
"""

import re

_ID = re.compile(r"[0-9]{1,18}")  # 18 digits are always below 2**63


def parse_id(value) -> int | None:
    if isinstance(value, str) and _ID.fullmatch(value):
        return int(value)
    return None
