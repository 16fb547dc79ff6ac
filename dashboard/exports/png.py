"""A 16:9 PNG of the map and KPIs, sized for a slide (1920×1080, or 3840×2160 at ``scale=2``)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from dashboard.exports.briefing import Briefing, Progress, filters_text, layers_text, no_progress
from dashboard.exports.fonts import CjkFonts
from dashboard.view.text import format_kpi, kpi_deltas, window_text
from geo.kpis import KPI_LABELS
from layers import map_image

WIDTH, HEIGHT = 1920, 1080
BACKGROUND = "#f4f6f9"
INK = "#1f2d3d"
MUTED = "#5f6e80"
ACCENT = "#0b3d91"
TREND_COLORS = {"up-good": "#1a7f37", "down-good": "#1a7f37", "up-bad": "#cf222e", "down-bad": "#cf222e"}


def render(briefing: Briefing, fonts: CjkFonts, scale: int = 1, progress: Progress = no_progress) -> bytes:
    """The PNG's bytes."""
    s = scale

    def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        face = fonts.bold if bold else fonts.regular
        return ImageFont.truetype(face.path, size * s, index=face.index)

    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), BACKGROUND)
    draw = ImageDraw.Draw(image)
    head = briefing.head
    draw.rectangle([0, 0, WIDTH * s, 108 * s], fill=ACCENT)
    draw.text((40 * s, 22 * s), f"{head['name']} · 诉求态势", font=font(40, True), fill="white")
    subtitle = (f"统计时段 {window_text(briefing.state.window)}　数据截至 {briefing.as_of_text}　"
                f"筛选：{filters_text(briefing.state)}")
    draw.text((40 * s, 74 * s), subtitle, font=font(20), fill="#dbe6f7")
    draw.text((WIDTH * s - 40 * s, 40 * s), "智治大脑", font=font(28, True), fill="white", anchor="ra")

    card_w, card_h, gap = 196, 178, 14
    left, top = 40, 132
    for i, (key, (label, unit)) in enumerate(KPI_LABELS.items()):
        col, row = i % 3, i // 3
        x, y = left + col * (card_w + gap), top + row * (card_h + gap)
        draw.rounded_rectangle([x * s, y * s, (x + card_w) * s, (y + card_h) * s], radius=10 * s, fill="white",
                               outline="#d8dee6", width=s)
        draw.text(((x + 16) * s, (y + 14) * s), label, font=font(20), fill=MUTED)
        value = format_kpi(key, head["kpis"][key])
        value_font = font(44 if len(value) <= 6 else 36, True)
        # Baselines: the value sits well below the label; the 环比 and 同比 lines share the card's foot.
        draw.text(((x + 16) * s, (y + 96) * s), value, font=value_font, fill=INK, anchor="ls")
        if value != "—":
            end = draw.textlength(value, font=value_font)
            draw.text(((x + 20) * s + end, (y + 96) * s), unit, font=font(18), fill=MUTED, anchor="ls")
        for line, (delta, trend) in enumerate(kpi_deltas(key, head)):
            draw.text(((x + 16) * s, (y + 114 + 26 * line) * s), delta, font=font(17),
                      fill=TREND_COLORS.get(trend, MUTED))
    note_y = top + 3 * (card_h + gap) + 6
    draw.text((left * s, note_y * s), f"图层：{layers_text(briefing.state)}", font=font(17), fill=MUTED)
    draw.text((left * s, (note_y + 28) * s), "环比、同比均按同口径（同样时长）计，绿为改善，红为变差", font=font(17), fill=MUTED)

    progress(0.6, "绘制地图")
    map_x, map_y = left + 3 * card_w + 2 * gap + 28, 132
    map_w, map_h = WIDTH - map_x - 40, HEIGHT - map_y - 40
    picture = map_image.render(briefing.scene, map_w * s, map_h * s, fonts.regular.path, fonts.regular.index)
    image.paste(picture, (map_x * s, map_y * s))
    draw.rectangle([map_x * s, map_y * s, (map_x + map_w) * s, (map_y + map_h) * s], outline="#c9ced6", width=s)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()
