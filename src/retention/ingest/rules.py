"""The contract's value rules as DuckDB SQL, so that whole files are checked set-wise.

For each column, in contract order: is a required value missing, does the value parse as its
type, does it keep its bounds; the first broken rule is the row's reason. Python only writes
the SQL; no Python runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from retention.contract import Column, Feed
from retention.identifiers import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS
from retention.ingest.naming import Quarter
from retention.pii import mask_id_sql, person_key_sql

# DuckDB's own cast reads 2023-07-01, 2023/7/1 and Excel's "2023-07-01 00:00:00" ten times
# faster than strptime; strptime is left the forms the cast does not know.
OTHER_DATE_FORMATS = ["%Y年%m月%d日", "%Y%m%d"]
# A date is plausible from 1900 to a year after the file's quarter: the latest dates a file
# rightly holds are graduations up to a year ahead (intake registered before graduating) and
# practice or employment dates just after the quarter; later ones are typing errors.
EARLIEST_DATE = "1900-01-01"
LATEST_AFTER_QUARTER_END = "1 year"
# An 18-character resident-ID shape inside any text; only those whose birth date and check
# character hold are taken for IDs.
# Separators a clerk may type inside one (330282-19990101-0015) are allowed; full-width
# digits are folded to ASCII first (FULL_WIDTH).
ID_SHAPE = "[0-9]{6}[- ]?[0-9]{8}[- ]?[0-9]{3}[0-9Xx]"
FULL_WIDTH = ("０１２３４５６７８９Ｘｘ－　", "0123456789Xx- ")
TYPE_REASON = {
    "id": "bad_id_check",
    "uscc": "bad_uscc_format",
    "date": "bad_date",
    "int": "bad_number",
    "yuan": "bad_number",
    "decimal": "bad_number",
    "enum": "bad_enum",
    "bool": "bad_enum",
    "text": None,
}


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw(name: str) -> str:
    """The trimmed text cell of a contract column in the `cells` step."""
    return f'"v_{name}"'


def id_valid(v: str) -> str:
    total = " + ".join(
        f"(ascii(substr({v}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(ID_WEIGHTS)
    )
    birth = f"try_strptime(substr({v}, 7, 8), '%Y%m%d')"
    return (
        f"(regexp_full_match({v}, '[0-9]{{17}}[0-9X]') and {birth} is not null "
        f"and {birth} >= date '1900-01-01' and {birth} <= current_date "
        f"and substr('{ID_CHECK}', (({total}) % 11)::int + 1, 1) = substr({v}, 18, 1))"
    )


def uscc_format_ok(v: str) -> str:
    return f"regexp_full_match({v}, '[0-9A-HJ-NPQRTUW-Y]{{18}}')"


def uscc_check_ok(v: str) -> str:
    total = " + ".join(
        f"(instr('{USCC_ALPHABET}', substr({v}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return (
        f"(substr('{USCC_ALPHABET}', ((31 - ({total}) % 31) % 31)::int + 1, 1) "
        f"= substr({v}, 18, 1))"
    )


def _number_text(v: str) -> str:
    return f"replace(replace({v}, ',', ''), '，', '')"


def _when_matches(v: str, pattern: str, sql_type: str) -> str:
    # Through decimal first, so that an Excel cell read as "12.0" is the integer 12.
    return (
        f"case when regexp_full_match({v}, '{pattern}') "
        f"then try_cast(try_cast({v} as decimal(38, 4)) as {sql_type}) end"
    )


def typed(kind: str, v: str, values: tuple[str, ...] = ()) -> str:
    """The value as its SQL type; NULL when it does not parse (or breaks its format)."""
    if kind == "text":
        return v
    if kind == "enum":
        return f"case when {v} in ({', '.join(quote(x) for x in values)}) then {v} end"
    if kind == "id":
        return f"case when {id_valid(f'upper({v})')} then upper({v}) end"
    if kind == "uscc":
        # A resident ID typed into a credit-code column has the code's format; it is refused
        # unless it is also a code with a right check character, so that it is never stored.
        u = f"upper({v})"
        return (
            f"case when not {uscc_format_ok(u)} then null "
            f"when not regexp_full_match({u}, '{ID_SHAPE}') then {u} "
            f"when {uscc_check_ok(u)} or not {id_valid(u)} then {u} end"
        )
    if kind == "date":
        formats = "[" + ", ".join(quote(f) for f in OTHER_DATE_FORMATS) + "]"
        return f"coalesce(try_cast({v} as date), try_strptime({v}, {formats})::date)"
    if kind == "int":
        return _when_matches(v, r"-?[0-9]+(\.0+)?", "bigint")
    if kind == "yuan":
        return _when_matches(_number_text(v), r"-?[0-9]+(\.[0-9]{1,2})?", "decimal(18, 2)")
    if kind == "decimal":
        return _when_matches(_number_text(v), r"-?[0-9]+(\.[0-9]+)?", "decimal(18, 4)")
    if kind == "bool":
        return f"case {v} when '是' then true when '否' then false end"
    raise ValueError(kind)


def parsed(column: Column) -> str:
    """The column's parsed value; a column whose type depends on another parses by it."""
    v = raw(column.name)
    if not column.type_by:
        return typed(column.type, v, column.values)
    switch = raw(column.type_by["column"])
    cases = " ".join(
        f"when {quote(k)} then {typed(t, v)}" for k, t in column.type_by["map"].items()
    )
    return f"case {switch} {cases} end"


@dataclass(frozen=True)
class Check:
    condition: str
    reason: str
    column: str


def column_checks(feed: Feed, column: Column, quarter: Quarter, baseline: bool) -> list[Check]:
    v, p = raw(column.name), f'"p_{column.name}"'

    def check(condition: str, reason: str) -> Check:
        return Check(condition, reason, column.name)

    checks = []
    if column.required:
        checks.append(check(f"{v} is null", "missing_value"))
    for other, value in column.required_when.items():
        checks.append(check(f"{v} is null and {raw(other)} = {quote(value)}", "missing_value"))
    for other, value in column.required_unless.items():
        cond = f"{v} is null and {raw(other)} is distinct from {quote(value)}"
        checks.append(check(cond, "missing_value"))
    # A present value that did not parse breaks its type.
    if column.type_by:
        switch = raw(column.type_by["column"])
        for key, kind in column.type_by["map"].items():
            cond = f"{v} is not null and {p} is null and {switch} = {quote(key)}"
            checks.append(check(cond, TYPE_REASON[kind]))
    elif TYPE_REASON[column.type]:
        checks.append(check(f"{v} is not null and {p} is null", TYPE_REASON[column.type]))
    if column.type == "date":
        latest = f"date '{quarter.end}' + interval {LATEST_AFTER_QUARTER_END}"
        checks.append(check(f"{p} < date '{EARLIEST_DATE}' or {p} > {latest}", "bad_date"))
    for op, sql in (("gt", ">"), ("ge", ">="), ("le", "<=")):
        bound = getattr(column, op)
        if bound is not None:
            checks.append(check(f"not ({p} {sql} {bound})", "bad_number"))
    if column.le_column:
        checks.append(check(f'{p} > "p_{column.le_column}"', "bad_number"))
    if column.ge_column:
        checks.append(check(f'{p} < "p_{column.ge_column}"', "bad_date"))
    end = f"date '{quarter.end}'"
    if column.not_after == "quarter_end":
        checks.append(check(f"{p} > {end}", "out_of_period"))
    if column.name == feed.event_date:
        # A baseline carries the history up to its quarter; a regular file only its quarter.
        outside = (
            f"{p} > {end}" if baseline else f"{p} not between date '{quarter.start}' and {end}"
        )
        checks.append(check(outside, "out_of_period"))
    return checks


def stored_values(column: Column, ipad: str, opad: str) -> list[str]:
    """SQL for each of `column.stored_columns()`, in the same order."""
    p = f'"p_{column.name}"'
    prefix = f"{column.stem}_" if column.stem else ""
    if column.personal:
        return []

    def when(kind: str) -> str:
        """The value holds this kind (always, unless another column decides the type)."""
        if not column.type_by:
            return "true"
        return f"{raw(column.type_by['column'])} = {quote(_key_of(column, kind))}"

    out = []
    if "id" in column.kinds:
        out += [
            f"case when {when('id')} then {person_key_sql(p, ipad, opad)} end "
            f"as {prefix}person_key",
            f"case when {when('id')} then {mask_id_sql(p)} end as {prefix}id_masked",
        ]
    if "uscc" in column.kinds:
        name = f"{prefix}uscc" if column.type_by else column.name
        out += [
            f"case when {when('uscc')} then {p} end as {name}",
            f"case when {when('uscc')} then {uscc_check_ok(p)} end as {name}_check_ok",
        ]
    elif column.type != "id":
        value = ids_masked(p) if column.type == "text" else p
        for other, hidden in column.personal_when.items():
            value = f"case when {raw(other)} = {quote(hidden)} then null else {value} end"
        out.append(f"{value} as {column.name}")
    return out


def _key_of(column: Column, kind: str) -> str:
    return next(k for k, t in column.type_by["map"].items() if t == kind)


def shown_value(column: Column) -> str:
    """What a data-quality page may show of a rejected cell: IDs masked, names never."""
    v = raw(column.name)
    if column.personal or column.personal_when:
        return "null"
    if "id" in column.kinds:
        masked = mask_id_sql(f"upper({v})")
        return f"case when length({v}) >= 10 then {masked} when {v} is not null then '***' end"
    return ids_masked(v)


def ids_masked(v: str) -> str:
    """The text with each resident ID in it masked as an ID column's is: an ID typed into a
    name, a major or an employer column is never stored or shown in clear. Only text at least
    an ID long is searched, so that the usual short value costs one length()."""
    folded = f"translate({v}, '{FULL_WIDTH[0]}', '{FULL_WIDTH[1]}')"
    found = f"regexp_extract_all({folded}, '{ID_SHAPE}')"
    compact = "upper(replace(replace(candidate, '-', ''), ' ', ''))"
    one_masked = (
        f"case when {id_valid(compact)} "
        f"then replace(so_far, candidate, {mask_id_sql(compact)}) else so_far end"
    )
    return (
        f"case when length({v}) >= 18 and regexp_matches({folded}, '{ID_SHAPE}') "
        f"then list_reduce(list_prepend({folded}, {found}), "
        f"lambda so_far, candidate: {one_masked}) else {v} end"
    )
