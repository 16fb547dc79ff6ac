"""Finding a Chinese font for the PDF and PNG exports.

Briefings must show Chinese, never tofu boxes, so exports refuse to run
without a CJK font instead of silently falling back to a Latin one. The font
comes from the ``BRIEFING_FONT`` setting, or from fontconfig (Debian's
``fonts-noto-cjk`` gives Noto Sans CJK SC).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import HttpError

#: Families tried in order; Simplified Chinese faces first, so 的/直/骨 take mainland shapes.
PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Noto Sans CJK")


@dataclass(frozen=True)
class FontFace:
    path: str
    #: Face number inside a .ttc/.otc collection.
    index: int = 0


@dataclass(frozen=True)
class CjkFonts:
    regular: FontFace
    bold: FontFace


def parse_face(spec: str) -> FontFace:
    """``/path/font.ttc#2`` → the third face of the collection; a plain path is face 0."""
    path, _, index = spec.partition("#")
    if not Path(path).is_file():
        raise HttpError(503, f"设置 BRIEFING_FONT 指向的字体文件不存在：{path}")
    if index and not index.isdigit():
        raise HttpError(503, f"设置 BRIEFING_FONT 的字体序号应为整数：{spec}")
    return FontFace(path, int(index or 0))


@functools.cache
def find_cjk_fonts(configured: str = "") -> CjkFonts:
    """The configured font, else the best fontconfig match; raises a 503 HttpError if there is none."""
    if configured:
        regular, _, bold = configured.partition(",")
        face = parse_face(regular.strip())
        return CjkFonts(face, parse_face(bold.strip()) if bold.strip() else face)
    faces = _fontconfig_faces()
    for family in PREFERRED_FAMILIES:
        matches = {style: face for fam, style, face in faces if fam.startswith(family)}
        if matches:
            regular = matches.get("Regular") or next(iter(matches.values()))
            return CjkFonts(regular, matches.get("Bold", regular))
    if faces:
        return CjkFonts(faces[0][2], faces[0][2])
    raise HttpError(503,
        "服务器未安装中文字体，无法生成 PDF/PNG 导出。请安装 fonts-noto-cjk（apt install fonts-noto-cjk），"
        "或用设置 BRIEFING_FONT 指定字体文件。"
    )


def _fontconfig_faces() -> list[tuple[str, str, FontFace]]:
    """(family, style, face) of every installed font that covers Simplified Chinese."""
    if shutil.which("fc-list") is None:
        return []
    out = subprocess.run(
        ["fc-list", ":lang=zh-cn", "-f", "%{family[0]}|%{style[0]}|%{file}|%{index}\n"],
        capture_output=True, text=True, timeout=30, check=False,
    ).stdout
    faces = []
    for line in sorted(out.splitlines()):
        family, style, path, index = (line.split("|") + ["", "", "", "0"])[:4]
        if path.lower().endswith((".ttf", ".otf", ".ttc", ".otc")) and "Mono" not in family:
            faces.append((family, style, FontFace(path, int(index or 0))))
    return faces
