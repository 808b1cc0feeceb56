"""Resident IDs become a keyed hash (person_key) and a masked form; never stored in clear.

person_key = HMAC-SHA256(key, normalised ID). The hash is computed inside DuckDB so that no
per-row Python runs on the load path; `person_key` here is the reference implementation that
tests hold the SQL to.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re

log = logging.getLogger(__name__)

KEY_ENV = "RETENTION_PII_KEY"
# Only for the synthetic sample data: anyone holding this key can test a guessed ID.
DEVELOPMENT_KEY = b"cixi-retention-development-key-not-for-real-data"
_BLOCK = 64  # SHA-256 block size


def pii_key() -> bytes:
    """The deployment's secret, or the development key with a loud warning."""
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode("utf-8")
    log.warning(
        "未设置 %s，正在使用开发密钥，仅可用于样例数据！ / %s is not set: using the DEVELOPMENT "
        "key, fit only for the bundled sample data. Set it before loading real files.",
        KEY_ENV,
        KEY_ENV,
    )
    return DEVELOPMENT_KEY


def person_key(id_number: str, key: bytes) -> str:
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC (RFC 2104), for the SQL form."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def person_key_sql(value_sql: str, ipad_param: str, opad_param: str) -> str:
    """HMAC-SHA256 in DuckDB SQL over an already normalised ID expression."""
    inner = f"unhex(sha256({ipad_param} || encode({value_sql})))"
    return f"sha256({opad_param} || {inner})"


def mask_id(id_number: str) -> str:
    v = id_number.strip().upper()
    return v[:6] + "*" * 8 + v[-4:]


def mask_id_sql(value_sql: str) -> str:
    return f"(left({value_sql}, 6) || '********' || right({value_sql}, 4))"


# An 18-character resident ID inside other text (an error message, a free-text cell).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_ids_in_text(text: str) -> str:
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group()), text)
