"""The audit log as a workbook, for admins to file or hand to an inspector."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.view.text import minute_text
from geo.access import ROLE_LABELS
from geo.domain import LOCAL_TZ
from geo.store.accounts import AUDIT_ACTIONS

COLUMNS = ("序号", "时间", "操作", "账号", "角色", "范围", "地址", "详情")


def audit_rows(items: list[dict]) -> list[list]:
    """The table the admin page shows and the workbook holds: one row per entry, in Chinese."""
    return [
        [item["id"], minute_text(item["at"].astimezone(LOCAL_TZ).isoformat()),
         AUDIT_ACTIONS.get(item["action"], item["action"]), item["actor"], ROLE_LABELS.get(item["role"] or "", "—"),
         item["scope_code"] or "—", item["address"] or "—",
         json.dumps(item["detail"], ensure_ascii=False) if item["detail"] else ""]
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
