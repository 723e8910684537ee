"""An iCalendar (RFC 5545) event for a noticed meeting: pure text, no library.

TEXT values escape backslash, semicolon, comma and newline (§3.3.11); lines longer than 75
octets are folded with CRLF and one space, never inside a UTF-8 character (§3.1); times are UTC
(the "Z" form, §3.3.5); the UID is stable for a meeting, so a re-download updates the event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: The notice does not say when a meeting ends; calendars get a two-hour block.
DEFAULT_LENGTH = timedelta(hours=2)


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line at 75 octets (continuation lines start with a space)."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_event(
    *,
    uid: str,
    title: str,
    starts_at: datetime,
    location: str,
    description: str,
    url: str,
    stamp: datetime,
    cancelled: bool = False,
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//consult//meetings//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(starts_at)}",
        f"DTEND:{utc(starts_at + DEFAULT_LENGTH)}",
        f"SUMMARY:{escape_text(title)}",
        f"LOCATION:{escape_text(location)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
