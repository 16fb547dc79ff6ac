"""The audit log as a workbook, for admins to file or hand to an inspector."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.view.text import minute_text
from geo.access import ROLE_LABELS
from geo.domain import CATEGORY_LABELS, KINDS, LOCAL_TZ, SOURCES, STATUSES
from geo.store.accounts import AUDIT_ACTIONS

COLUMNS = ("序号", "时间", "操作", "账号", "角色", "范围", "地址", "详情")


#: What each detail of an entry is called, and how its value reads (values not listed stay as written: names, ids).
DETAIL_LABELS = {
    "username": "账号", "role": "角色", "reason": "原因", "dead_letter": "死信编号", "format": "格式",
    "from": "起始日期", "to": "结束日期", "kind": "诉求类型", "category": "诉求类别", "source": "来源",
    "name": "密钥名称", "admin": "管理员密钥", "appeal_id": "诉求编号", "action": "操作类型", "actor": "账号",
    "start": "起始时间", "end": "结束时间",
}
REASONS = {"throttled": "尝试过多", "wrong name or password": "账号或密码错误", "bad device token": "设备令牌无效"}
#: Keys whose value is a name or id someone chose (shown as typed, marked as such on the page).
CODE_DETAILS = {"username", "name", "actor", "dead_letter", "appeal_id"}
_VOCABULARIES = {"kind": KINDS, "category": CATEGORY_LABELS, "source": SOURCES, "role": ROLE_LABELS,
                 "reason": REASONS, "action": AUDIT_ACTIONS}


def detail_parts(action: str, detail: dict | None) -> list[tuple[str, str, bool]]:
    """An entry's details as (label, value, is_code) in Chinese; ``is_code`` marks names and ids kept as typed."""
    parts = []
    for key, value in (detail or {}).items():
        label = "结果" if key == "status" and action == "dead_letter_replayed" else DETAIL_LABELS.get(key, "状态" if key == "status" else key)
        vocabulary = STATUSES if key == "status" and action != "dead_letter_replayed" else _VOCABULARIES.get(key, {})
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif key == "format":
            text = str(value).upper()
        else:
            text = "、".join(vocabulary.get(v, v) for v in str(value).split(",")) if vocabulary else str(value)
        parts.append((label, text, key in CODE_DETAILS))
    return parts


def detail_text(action: str, detail: dict | None) -> str:
    return "；".join(f"{label}：{value}" for label, value, _code in detail_parts(action, detail))


def audit_rows(items: list[dict]) -> list[list]:
    """The table the admin page shows and the workbook holds: one row per entry, in Chinese."""
    return [
        [item["id"], minute_text(item["at"].astimezone(LOCAL_TZ).isoformat()),
         AUDIT_ACTIONS.get(item["action"], item["action"]), item["actor"], ROLE_LABELS.get(item["role"] or "", "—"),
         item["scope_code"] or "—", item["address"] or "—",
         detail_text(item["action"], item["detail"])]
        for item in items
    ]


def workbook(items: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "审计日志"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in audit_rows(items):
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name someone typed at the sign-in page is text, never a formula
    for letter, width in zip("ABCDEFGH", (8, 18, 14, 18, 8, 17, 16, 60), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
