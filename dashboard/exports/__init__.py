"""Exports of a view: briefing content, its PDF and PNG, the XLSX workbook, background jobs and the CJK font."""
