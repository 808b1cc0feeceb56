"""The check characters of resident IDs and credit codes, as the loader applies them in SQL."""

from __future__ import annotations

import duckdb
import pytest

from retention.ingest import rules
from retention.pii import DEVELOPMENT_KEY, hmac_pads, mask_id, person_key, person_key_sql

VALID_IDS = ["11010519491231002X", "11010519491231002x", "330282199901010007", "440524198001010013"]
INVALID_IDS = {
    "110105194912310021": "wrong check character",
    "11010519491231002": "17 characters",
    "1101051949123100211": "19 characters",
    "11010519491231002Y": "Y is no check character",
    "11O10519491231002X": "a letter inside",
    "330282199902300014": "30 February",
    "330282209901010011": "born in 2099",
}
VALID_USCC = ["91350100M000100Y43", "91330282MA2AB1234P"]


def sql_value(expression: str, value: str):
    with duckdb.connect() as con:
        return con.execute(f"select {expression.replace('$v', '$1')}", [value]).fetchone()[0]


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_resident_ids_pass(value: str) -> None:
    assert sql_value(rules.id_valid("upper($v)"), value) is True


@pytest.mark.parametrize("value,why", INVALID_IDS.items())
def test_invalid_resident_ids_fail(value: str, why: str) -> None:
    assert sql_value(rules.id_valid("upper($v)"), value) is False, why


def test_valid_credit_codes_pass_format_and_check() -> None:
    for code in VALID_USCC:
        assert sql_value(rules.uscc_format_ok("$v"), code) is True
        assert sql_value(rules.uscc_check_ok("$v"), code) is True


def test_credit_code_with_wrong_check_character_is_only_flagged() -> None:
    code = "91350100M000100Y44"
    assert sql_value(rules.uscc_format_ok("$v"), code) is True
    assert sql_value(rules.uscc_check_ok("$v"), code) is False


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100I000100Y43", "91350100S000100Y43"])
def test_credit_codes_of_bad_format_fail(code: str) -> None:
    assert sql_value(rules.uscc_format_ok("$v"), code) is False


def test_person_key_in_sql_is_hmac_sha256_of_the_normalised_id() -> None:
    ipad, opad = hmac_pads(DEVELOPMENT_KEY)
    with duckdb.connect() as con:
        got = con.execute(
            f"select {person_key_sql('upper($id)', '$ipad', '$opad')}",
            {"id": "11010519491231002x", "ipad": ipad, "opad": opad},
        ).fetchone()[0]
    assert got == person_key("11010519491231002X", DEVELOPMENT_KEY)
    assert person_key("11010519491231002X", b"another key") != got


def test_masked_id_shows_only_the_last_two_characters() -> None:
    assert mask_id("11010519491231002x") == "****************2X"
