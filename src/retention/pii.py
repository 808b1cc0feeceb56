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
import unicodedata

from retention.errors import ExpectedError

log = logging.getLogger(__name__)

KEY_ENV = "RETENTION_PII_KEY"
# Set by `--sample-key` (or by hand) for the bundled synthetic sample; an environment variable
# so that it reaches the Airflow tasks `retention run` and `make airflow` start.
SAMPLE_MODE_ENV = "RETENTION_SAMPLE_MODE"
# Only for the synthetic sample data: anyone holding this key can test a guessed ID.
DEVELOPMENT_KEY = b"cixi-retention-development-key-not-for-real-data"
_BLOCK = 64  # SHA-256 block size


class KeyRefused(ExpectedError):
    """No usable key, or not the key the warehouse was loaded under: nothing is done. The
    message is one line, in Chinese and English, naming what to set."""


def pii_key(variable: str = KEY_ENV) -> bytes:
    """The deployment's secret. Without it the loader refuses, unless sample mode was asked
    for explicitly: then the public development key, with a loud warning."""
    value = os.environ.get(variable)
    if value:
        return value.encode("utf-8")
    if _sample_mode(variable):
        log.warning(
            "样例模式：正在使用公开的开发密钥，仅可用于合成样例数据！ / SAMPLE MODE: using the "
            "public DEVELOPMENT key, fit only for the bundled synthetic sample, never for real "
            "department files."
        )
        return DEVELOPMENT_KEY
    raise _no_key(variable)


def require_key(variable: str = KEY_ENV) -> None:
    """Refuse as pii_key would, before anything is done (the state lock makes the state
    folder), without saying twice that sample mode is on."""
    if not os.environ.get(variable) and not _sample_mode(variable):
        raise _no_key(variable)


def _sample_mode(variable: str) -> bool:
    return variable == KEY_ENV and os.environ.get(SAMPLE_MODE_ENV) == "1"


def _no_key(variable: str) -> KeyRefused:
    return KeyRefused(
        f"未设置 {variable}，未做任何处理：请将其设为本部署的密钥（见 .env.example），"
        f"仅处理合成样例数据时可改用 --sample-key。 / {variable} is not set, nothing was done: "
        f"set it to this deployment's secret (see .env.example), or pass --sample-key to work "
        "on the bundled synthetic sample only."
    )


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


# The masked form shows the last two characters only. person_key protects an ID only as long
# as the key is secret: with the key, a guess is checked by one HMAC. The old mask (region and
# last four: sequence number and check character) left only the birth date to guess, a few
# tens of thousands of tries. Two characters leave the region, the birth date and two digits
# of the sequence number unknown (about 1e9 tries for an ID from anywhere), which is as little
# as a mask can show and still let a reader tell two rows apart. The real protection is the
# key: the loader refuses to run without one (see pii_key).
MASK = "*" * 16


def mask_id(id_number: str) -> str:
    return MASK + id_number.strip().upper()[-2:]


def mask_id_sql(value_sql: str) -> str:
    return f"('{MASK}' || right({value_sql}, 2))"


# An 18-character resident ID inside other text (an error message, a free-text cell).
# Separators typed inside one and full-width digits count too (folded by NFKC first).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{6}[- ]?\d{8}[- ]?\d{3}[\dXx](?![0-9A-Za-z])")


def mask_ids_in_text(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return _ID_IN_TEXT.sub(lambda m: mask_id(re.sub(r"[- ]", "", m.group())), folded)
