"""One JavaScript scan of a rendered page: Latin words a user can see, and text that does not fit its box.

``scan(driver)`` runs it in the browser and returns the offenders, each with the
element's path, so a failing assertion says what leaked and where. It is general on
purpose (no page's texts are written into it); what may stay Latin is the allow-list below.
"""

from __future__ import annotations

#: Latin that may be seen: units, file formats, and credits that licences or their authors ask to be kept as written.
ALLOWED_LATIN = [
    r"© OpenStreetMap contributors", r"\bODbL\b", r"\bLeaflet\b",  # map data credit (ODbL) and the map library's
    r"\bkm²", r"\bkm\b", r"\bm²", r"\bkm/h\b",  # units
    r"\bPNG\b", r"\bXLSX\b", r"\bPDF\b", r"\bA4\b",  # export formats
]

#: Elements whose text is a code or a name, not prose (account names, tokens, ids): HTML's ``translate="no"``
#: says exactly that (``data-verbatim`` in Dash, which has no such prop), and Plotly's own mode bar is English
#: and hidden on every chart of ours.
SKIPPED = 'script, style, noscript, template, [translate="no"], [data-verbatim], .modebar-container'

SCAN_JS = r"""
const allowed = new RegExp(arguments[0].join("|"), "g");
const skipped = arguments[1];
const out = [];
const path = (el) => {
  const parts = [];
  for (let e = el; e && e !== document.body && parts.length < 5; e = e.parentElement) {
    let part = e.tagName.toLowerCase();
    if (e.id) { part += "#" + e.id; parts.unshift(part); break; }
    const cls = (typeof e.className === "string" ? e.className : e.getAttribute("class") || "").trim();
    if (cls) { part += "." + cls.split(/\s+/).slice(0, 2).join("."); }
    parts.unshift(part);
  }
  return parts.join(" > ");
};
const shown = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
const latin = (text) => (text.replace(allowed, " ").match(/[A-Za-z]{2,}/g) || []);
const report = (kind, el, text, extra) => out.push(Object.assign({kind, text: text.slice(0, 80), path: path(el)}, extra || {}));

// 1. Latin words: every visible text node, and the placeholders of empty inputs (what a user typed is theirs).
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const el = node.parentElement;
  const text = node.textContent.trim();
  if (!text || !el || el.closest(skipped) || !shown(el)) { continue; }
  const words = latin(text);
  if (words.length) { report("latin", el, text, {words}); }
}
for (const input of document.querySelectorAll("input, textarea")) {
  if (input.closest(skipped) || !shown(input) || ["hidden", "password", "checkbox", "radio"].includes(input.type)) { continue; }
  const text = input.value ? "" : (input.placeholder || "");
  const words = latin(text);
  if (words.length) { report("latin", input, text, {words}); }
}

// 2. Text that does not fit: clipped or ellipsised boxes, text running out of its block, chart text out of its chart.
for (const el of document.body.querySelectorAll("*")) {
  const own = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  if (!own.length || el.closest(skipped) || !shown(el)) { continue; }
  const text = own.map((n) => n.textContent.trim()).join(" ");
  if (el instanceof SVGElement) {
    const svg = el.closest("svg.main-svg") || el.ownerSVGElement;
    if (!svg) { continue; }
    const box = svg.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.width && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)) {
      report("overflow", el, text, {why: "chart text outside its chart"});
    }
    continue;
  }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  // A box of a pixel or less is there for screen readers only (visually hidden), not for the eye.
  if (box.width <= 1 || box.height <= 1) { continue; }
  // An ellipsis with the whole text in its title is a deliberate cut: hovering shows the rest.
  if (style.textOverflow === "ellipsis" && (el.getAttribute("title") || "").trim() === text) { continue; }
  if ((style.overflowX !== "visible" || style.textOverflow === "ellipsis") && el.scrollWidth > el.clientWidth + 1) {
    report("overflow", el, text, {why: `scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`});
    continue;
  }
  if (style.display === "inline" || style.display === "contents") { continue; }
  for (const n of own) {
    const range = document.createRange();
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width && (r.right > box.right + 1 || r.left < box.left - 1)) {
      report("overflow", el, text, {why: `text ${Math.round(r.width)} px wider than its box ${Math.round(box.width)} px`});
      break;
    }
  }
}
return out;
"""


def scan(driver) -> list[dict]:
    """Offending texts of the page as it is now: ``{"kind": "latin"|"overflow", "text", "path", …}``."""
    return driver.execute_script(SCAN_JS, ALLOWED_LATIN, SKIPPED)


def describe(offences: list[dict]) -> str:
    return "\n".join(f"{o['kind']}: {o['text']!r} at {o['path']} {o.get('words') or o.get('why') or ''}" for o in offences)
