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
        "工作簿中有多个工作表含本数据项的表头，或含表头的工作表被隐藏：{sheets}。"
        "每个文件只能有一张数据表：请把数据合并到一张可见的工作表，删除其余含表头的工作表后重新报送"
        "（“填表说明”等不含表头的工作表可以保留）。",
        "More than one sheet holds the feed's header row, or the sheet holding it is hidden: "
        "{sheets_en}. A file holds one table: put the data on one visible sheet, delete the "
        "other sheets with the header and send it again (sheets without the header, such as "
        "instructions, may stay).",
    ),
    "not_a_file": (
        "“{name}”不是直接放在部门目录中的普通文件（{kind}），未读取。"
        "请把文件本身（不是快捷方式、链接或文件夹）直接放入 landing/<部门代码>/ 目录。",
        "“{name}” is not a regular file directly inside a department folder ({kind}), so it was "
        "not read. Put the file itself (not a shortcut, link or folder) directly into "
        "landing/<department code>/.",
    ),
    "no_valid_rows": (
        "文件中的 {rows} 行数据没有一行可以入库（{reasons}），未替换已入库的数据。"
        "请按数据质量清单更正后重新报送。",
        "None of the file's {rows} data rows can load ({reasons}); nothing loaded was "
        "replaced. Correct the rows as the rejected-row list shows and send the file again.",
    ),
    "duplicate_key": (
        "{detail_zh}同一数据只计一次，本文件未入库。{fix_zh}",
        "{detail_en} The same data is counted once: this file was not loaded. {fix_en}",
    ),
}

ROW_REASONS: dict[str, tuple[str, str]] = {
    "bad_id_check": (
        "公民身份号码有误（位数、字符、出生日期或校验码不正确；Excel 中请把该列设为文本格式）",
        "invalid resident ID (length, characters, birth date or check character; in Excel, "
        "format the column as text)",
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
