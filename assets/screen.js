/* Big screen (/screen/) only; the main app ignores this file (assets_ignore in app.py).
   Map styling functions are referenced from Python as {"variable": "zhizhi.screen.<name>"} and read only
   the layer's `hideout`, so a tour step restyles without resending geometry. Nothing on the wall is
   clickable, so every style says `interactive: false` (see assets/map.js for why it is said here). */
window.zhizhi = window.zhizhi || {};
window.zhizhi.screen = (function () {
  return {
    streetStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var code = feature.properties.code;
      var selected = h.selected && code === h.selected;
      var dimmed = h.selected && !selected;
      return {
        fill: true,
        fillColor: "#39a0ff",
        fillOpacity: selected ? 0.08 : 0,
        color: selected ? "#5cf2ff" : "#8fb3dc",
        weight: selected ? 4 : 1.8,
        opacity: dimmed ? 0.45 : 0.95,
        interactive: false
      };
    },
    streetLabel: function (feature, layer) {
      layer.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "screen-unit-label" });
    },
    communityStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var code = feature.properties.code;
      if (!h.street || code.indexOf(h.street) !== 0) { return { fill: false, opacity: 0, weight: 0, interactive: false }; }
      var selected = h.selected && code === h.selected;
      return { fill: false, color: selected ? "#5cf2ff" : "#7fa6d6", weight: selected ? 3 : 0.9, opacity: selected ? 1 : 0.7,
               interactive: false };
    },
    /* Positions only: no tooltip, no popup, no name. Drawn in the "workers" pane (above the heat image);
       a marker made here would otherwise go to Leaflet's default overlay pane, under it. */
    workerDot: function (feature, latlng, context) {
      var h = (context && context.hideout) || {};
      return L.circleMarker(latlng, {
        pane: "workers",
        radius: 2.5,
        stroke: false,
        fillColor: (h.typeColors || {})[feature.properties.type] || "#39a0ff",
        fillOpacity: feature.properties.status === "offline" ? 0.3 : 0.9,
        interactive: false
      });
    }
  };
})();

/* The clock. One timer for the page's lifetime writing one text node: a Dash Interval would do the
   same through the renderer, whose undo history keeps every Interval tick forever (86,400 a day). */
(function () {
  if (window.zhizhiScreenClock) { return; }
  var format = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", weekday: "short",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });
  function parts(date) {
    var out = {};
    format.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function tick() {
    var el = document.getElementById("screen-clock");
    if (!el) { return; }
    var p = parts(new Date());
    var text = p.year + "-" + p.month + "-" + p.day + " " + p.weekday + " " + p.hour + ":" + p.minute + ":" + p.second;
    if (el.textContent !== text) { el.textContent = text; }
  }
  window.zhizhiScreenClock = window.setInterval(tick, 250);  /* writes only when the second changes */
})();
