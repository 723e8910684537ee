"""Resident identity card numbers (GB 11643-1999): checksum, embedded birth date and sex."""

from __future__ import annotations

from datetime import date
from operator import mul

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError("the check digit is computed over exactly 17 digits")
    # map/mul rather than a generator: a register import checks every number on the file.
    total = sum(map(mul, map(int, first17), _WEIGHTS))
    return _CHECK[total % 11]


class IdNumberError(ValueError):
    pass


def parse_id_number(value: str) -> tuple[date, str]:
    """Validate an 18-character ID number; return (birth date, 'M' or 'F').

    Raises IdNumberError with a reason a clerk understands.
    """
    v = value.strip().upper()
    # isascii(): str.isdigit() also accepts "²" and full-width "１", which int() refuses or
    # which would store the same number under a second spelling.
    if (
        len(v) != 18
        or not v.isascii()
        or not v[:17].isdigit()
        or not (v[17].isdigit() or v[17] == "X")
    ):
        raise IdNumberError("an ID number has 17 digits and a final digit or X")
    if check_digit(v[:17]) != v[17]:
        raise IdNumberError("the ID number's check digit is wrong (a digit may be mistyped)")
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError as exc:
        raise IdNumberError("the ID number does not contain a valid birth date") from exc
    sex = "M" if int(v[16]) % 2 == 1 else "F"
    return born, sex


def make_id_number(area: str, born: date, sequence: int, sex: str) -> str:
    """Build a valid number (demo data, tests): 6-digit area, birth date, sequence, check digit."""
    order = (sequence * 2 + (1 if sex == "M" else 0)) % 1000  # odd means male (GB 11643)
    first17 = f"{area}{born:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)
