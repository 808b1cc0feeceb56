"""What a department clerk reads when a file or a row is refused, in Chinese and English."""

from __future__ import annotations

FILE_REASONS: dict[str, tuple[str, str]] = {
    "unreadable": (
        "无法读取文件：{detail_zh}。请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel（.xlsx）文件，"
        "按“{pattern}”命名后重新报送。",
        "The file cannot be read: {detail_en}. Save it as CSV (UTF-8 or GBK) or Excel (.xlsx), "
        "name it {pattern} and send it again.",
    ),
    "no_header": (
        "前六个非空行中没有表头行（表头行须至少包含两个约定列名，如“{example}”）。"
        "请在数据上方保留一行列名后重新报送。",
        "No header row among the first six non-empty rows (a header row names at least two of "
        "the feed's columns, such as “{example}”). Put the column names in one row above the "
        "data and send the file again.",
    ),
    "missing_column": (
        "缺少必填列“{header}”（{name}）。请补上该列后重新报送。",
        "The required column “{header}” ({name}) is missing. Add it and send the file again.",
    ),
    "control_total_mismatch": (
        "合计行与明细不符：“{header}”合计为 {total}，明细相加为 {actual}。"
        "请核对明细或合计后重新报送。",
        "The 合计 (total) row does not match the rows: “{header}” ({name}) totals {total} but "
        "the rows add up to {actual}. Correct the rows or the total and send the file again.",
    ),
    "empty": (
        "文件只有表头，没有数据行。请填入数据后重新报送。",
        "The file has a header row but no data rows. Fill in the data and send it again.",
    ),
    "version_conflict": (
        "{detail_zh}已保留原已入库版本。如需更正，请以新版本号报送（如 {next_name}）。",
        "{detail_en} The loaded version stays. To correct it, send a new version (e.g. "
        "{next_name}).",
    ),
    "multiple_sheets": (
        "工作簿中不止一个工作表含本数据项的表头，或含表头的工作表被隐藏：{sheets}。"
        "请把数据放在一个可见的工作表中（填表说明等工作表可保留），删除或合并其余工作表后重新报送。",
        "More than one sheet of the workbook holds the feed's header row, or a hidden sheet "
        "does: {sheets}. Put the data on one visible sheet (an instructions sheet may stay), "
        "remove or merge the others and send the file again.",
    ),
    "not_a_file": (
        "这不是可报送的普通文件（快捷方式、链接、子文件夹或其他），未读取。"
        "请把文件本身直接放入本部门的目录（landing/<部门代码>/）。",
        "This is not a regular file (a shortcut, a link, a folder or something else) and was "
        "not read. Put the file itself directly into your department's folder "
        "(landing/<department>/).",
    ),
    "no_valid_rows": (
        "文件中没有一行数据可以入库（每一行都被拒收），本文件未替换已入库的版本。"
        "请按各行被拒的原因更正后重新报送。",
        "No row of the file can be loaded (every row was rejected); it does not replace the "
        "loaded version. Correct the rows as their reasons say and send the file again.",
    ),
    "duplicate_key": (
        "{detail_zh}同一数据只计一次，本文件未入库。{fix_zh}",
        "{detail_en} The same data is counted once: this file was not loaded. {fix_en}",
    ),
}

ROW_REASONS: dict[str, tuple[str, str]] = {
    "bad_id_check": (
        "公民身份号码有误（位数、字符、出生日期或校验码不正确）",
        "invalid resident ID (length, characters, birth date or check character)",
    ),
    "bad_uscc_format": (
        "统一社会信用代码格式有误（应为18位数字或大写字母，不含 I、O、Z、S、V）",
        "invalid unified social credit code (18 digits or capitals, without I, O, Z, S, V)",
    ),
    "bad_date": (
        "日期无法识别、先后顺序不对或不合理（早于1900年，或晚于本季度末一年以上）"
        "（可写作 2023-07-01、2023/7/1、2023年7月1日、20230701）",
        "unreadable date, dates out of order, or an implausible date (before 1900 or more than "
        "a year after the file's quarter) (write 2023-07-01, 2023/7/1, 2023年7月1日 or 20230701)",
    ),
    "bad_enum": ("取值不在约定范围内", "value not among the allowed values"),
    "bad_number": (
        "数值无法识别或超出约定范围（金额最多两位小数）",
        "unreadable number or out of the allowed range (amounts take at most 2 decimals)",
    ),
    "missing_value": ("必填项为空", "a required value is missing"),
    "out_of_period": (
        "日期不在本文件所属季度内",
        "date outside the file's quarter",
    ),
    "duplicate_key": (
        "编号与本季度已报送的行重复，仅保留第一行",
        "key repeats an earlier row of the feed and quarter; only the first row loads",
    ),
}


def file_message(reason: str, **values: object) -> tuple[str, str]:
    zh, en = FILE_REASONS[reason]
    return zh.format(**values), en.format(**values)


def row_message(reason: str, header: str, name: str) -> str:
    zh, en = ROW_REASONS[reason]
    return f"“{header}”{zh} / {name}: {en}"


def loaded_before_message(header: str, name: str) -> str:
    """A row whose key, counted once, another file already loaded; `{file}` names that file."""
    return (
        f"“{header}”已由 {{file}} 入库，同一事件只计一次；如需更正该行，请报送该文件的新版本"
        f" / {name}: already loaded from {{file}}; an event is counted once. To correct that "
        "row, send a new version of that file"
    )
