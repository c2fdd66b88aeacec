"""Reading the audit log: the time filters shared by `audit export` and `GET /v1/audit`."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

_AGE = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_time(value: str) -> str:
    """An ISO date/time, or an age such as 30m, 12h, 7d, as the stored UTC time text.
    Raises ValueError naming what was expected."""
    m = _AGE.fullmatch(value.strip())
    if m:
        when = datetime.fromtimestamp(time.time() - int(m.group(1)) * _UNIT_S[m.group(2)], UTC)
    else:
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO date/time or an age like 12h or 7d"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
