"""Check characters of the two national identifiers the department files carry.

- Resident ID (公民身份号码), GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
- Unified social credit code (统一社会信用代码), GB 32100-2015: MOD 31 over the first 17
  characters, in an alphabet without I, O, Z, S, V (easily misread letters).
- Organisation code (组织机构代码, GB 11714-1997), the 9th to 17th characters of a credit code:
  its own MOD 11 check character, so that synthetic codes look like real ones.

The loader's rules live in the contract; these functions are the reference the sample generator
writes with and the tests check against.
"""

from __future__ import annotations

import datetime as dt
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # sum mod 11 -> check character

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_PATTERN = re.compile(f"[{USCC_ALPHABET}]{{18}}")

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID whose first 17 characters (digits) are given."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError(f"a resident ID body is 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id(value: str) -> bool:
    """18 characters, a real birth date, and the right check character (`x` accepted)."""
    v = value.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or not v[:17].isascii():
        return False
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return id_check_char(v[:17]) == v[17]


def uscc_check_char(first17: str) -> str:
    """The 18th character of a credit code whose first 17 characters are given."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError(f"a credit code body is 17 characters of {USCC_ALPHABET}, got {first17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc_format(value: str) -> bool:
    """18 characters of the credit-code alphabet (what rejects a row)."""
    return bool(USCC_PATTERN.fullmatch(value.strip()))


def is_valid_uscc(value: str) -> bool:
    """The format and the check character (a wrong check character only flags a row)."""
    v = value.strip()
    return is_valid_uscc_format(v) and uscc_check_char(v[:17]) == v[17]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code (digits and capitals, A = 10)."""
    if len(first8) != 8 or not first8.isalnum() or not first8.isascii():
        raise ValueError(f"an organisation code body is 8 digits or capitals, got {first8!r}")
    total = sum(int(c, 36) * w for c, w in zip(first8.upper(), ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)
