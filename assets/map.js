/* Map styling functions, referenced from Python as {"variable": "zhizhi.map.<name>"}.
   They read only what the server put in each layer's `hideout`, so restyling never resends geometry.
   Shapes nobody clicks return `interactive: false` from their style: dash-leaflet's GeoJSON ignores its own
   `interactive` prop, but Leaflet applies the style's options before it creates each path, so such a path
   takes no pointer events and shows no hand cursor. */
window.zhizhi = window.zhizhi || {};
window.zhizhi.map = (function () {
  function classColor(value, breaks, colors, noData) {
    if (value === null || value === undefined) { return noData; }
    for (var i = 0; i < breaks.length; i++) {
      if (value < breaks[i]) { return colors[i]; }
    }
    return colors[colors.length - 1];
  }
  function dark(context) { return context && context.hideout && context.hideout.dark; }

  /* Unit labels are placed without collisions after every move, zoom and restyle: greedy, the selected unit
     and then the largest on screen first; a label that would overlap one already placed (or whose anchor is
     off the map) is shortened (the name without the worker count, then the short name), else hidden. The
     counts come from the layer's hideout, which the clientside callback unitLabels leaves on the map's
     container (a style function's context may still hold the previous hideout while new features load). */
  var GAP = 2;  /* pixels kept between two labels */
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function shortName(name) {
    var grid = /(第\d+网格)$/.exec(name);
    return grid ? grid[1] : name.replace(/(街道|社区)$/, "");
  }
  function labelHtml(name, count) {
    var text = '<span class="label-name">' + escapeHtml(name) + "</span>";
    return count === undefined ? text : text + '<span class="label-count">网格员 ' + count + " 人</span>";
  }
  function overlaps(a, b) {
    return a.left < b.right + GAP && b.left < a.right + GAP && a.top < b.bottom + GAP && b.top < a.bottom + GAP;
  }
  function placeLabels(map) {
    var h = map.getContainer().zhizhiUnits || {};
    var counted = h.workers ? Object.keys(h.workers) : [];
    /* Counts are keyed by the child units' codes; while the previous level's units are still drawn, none fit. */
    var countLength = counted.length ? counted[0].length : 0;
    var frame = map.getContainer().getBoundingClientRect();
    var items = [];
    map.eachLayer(function (layer) {
      var tip = layer.feature && layer.getTooltip && layer.getTooltip();
      if (!tip || (tip.options.className || "").indexOf("unit-label") < 0 || !tip.getElement()) { return; }
      var b = layer.getBounds();
      var nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
      items.push({ layer: layer, tip: tip, selected: h.selected === layer.feature.properties.code,
                   area: Math.abs((se.x - nw.x) * (se.y - nw.y)) });
    });
    items.sort(function (a, b) { return (b.selected - a.selected) || (b.area - a.area); });
    var placed = [];
    items.forEach(function (item) {
      var p = item.layer.feature.properties;
      var tries = p.code.length === countLength ? [labelHtml(p.name, h.workers[p.code] || 0)] : [];
      tries.push(labelHtml(p.name), labelHtml(shortName(p.name)));
      var el = item.tip.getElement(), shown = false;
      for (var i = 0; i < tries.length && !shown; i++) {
        item.tip.setContent(tries[i]);
        var r = el.getBoundingClientRect();
        var x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
        var onMap = x > frame.left && x < frame.right && y > frame.top && y < frame.bottom;
        shown = onMap && !placed.some(function (q) { return overlaps(q, r); });
        if (shown) { placed.push(r); }
      }
      el.classList.toggle("label-off", !shown);
    });
  }
  function scheduleLabels(map) {
    if (!map) { return; }
    window.clearTimeout(map.zhizhiLabelTimer);
    map.zhizhiLabelTimer = window.setTimeout(function () { placeLabels(map); }, 30);
  }
  function watch(map) {
    /* Once per map: relabel after each move; the map is kept on its container (fullscreen and tests use it). */
    if (!map || map.zhizhiWatched) { return; }
    map.zhizhiWatched = true;
    map.getContainer().zhizhiMap = map;
    map.zhizhiRelabel = function () { scheduleLabels(map); };
    map.on("moveend", function () { scheduleLabels(map); });
  }
  return {
    gridStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var code = feature.properties.code;
      var values = h.values || {};
      var inScope = !h.scope || code.indexOf(h.scope) === 0;
      var selected = h.selected && code === h.selected;
      if (h.visible === false) { return { opacity: 0, fillOpacity: 0 }; }
      return {
        fillColor: classColor(values[code], h.breaks || [], h.colors || ["#ccc"], h.noData || "#e6e9ee"),
        fillOpacity: inScope ? 0.72 : 0,  // only the view's grids are coloured (and computed)
        // Grids outside the view: grey outlines, so the neighbouring fabric stays visible on the light land.
        color: selected ? "#0b3d91" : (inScope ? "#ffffff" : "#9aa5b1"),
        weight: selected ? 3 : 0.6,
        opacity: inScope ? 0.9 : 0.7
      };
    },
    hoverStyle: function () { return { weight: 3, color: "#0b3d91", opacity: 1 }; },
    unitStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var selected = h.selected && feature.properties.code === h.selected;
      if (h.visible === false) { return { fill: true, fillOpacity: 0, opacity: 0 }; }
      return { fill: true, fillOpacity: 0, color: selected ? "#0b3d91" : "#33475b", weight: selected ? 3 : 1.6, opacity: 0.9 };
    },
    unitLabel: function (feature, layer) {
      layer.bindTooltip(labelHtml(feature.properties.name), { permanent: true, direction: "center", className: "unit-label" });
      layer.on("add", function () { watch(layer._map); scheduleLabels(layer._map); });
    },
    outlineStyle: function () {
      return { fill: false, color: "#0b3d91", weight: 3.5, opacity: 1, dashArray: null, interactive: false };
    },
    professionalFilter: function (feature, context) {
      return feature.properties.type === ((context && context.hideout) || {}).type;
    },
    professionalLabel: function (feature, layer) {
      layer.bindTooltip(feature.properties.name, { sticky: true });
    },
    professionalStyle: function () { return { fill: false, color: "#6f42c1", weight: 2, dashArray: "6 4", opacity: 0.9 }; },
    /* 新兴热点: only the hot grids are drawn (a grid nobody flagged stays clickable for drill-down below). */
    hotspotFilter: function (feature, context) {
      var h = (context && context.hideout) || {};
      return !!(h.patterns && h.patterns[feature.properties.code]);
    },
    hotspotStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var pattern = (h.patterns || {})[feature.properties.code];
      return {
        fillColor: (h.colors || {})[pattern] || "#d7191c",
        fillOpacity: 0.82,
        color: h.dark ? "#ffffff" : "#3b0a0a",
        weight: 1.6,
        opacity: 0.95
      };
    },
    hotspotHover: function () { return { weight: 3.5, color: "#0b3d91", opacity: 1 }; },
    neighbourStyle: function (feature, context) {
      return dark(context)
        ? { fillColor: "#1a2738", fillOpacity: 1, color: "#31445c", weight: 1, interactive: false }
        : { fillColor: "#eef0f3", fillOpacity: 1, color: "#c9ced6", weight: 1, interactive: false };
    },
    landStyle: function (feature, context) {
      return dark(context)
        ? { fillColor: "#263a52", fillOpacity: 1, color: "#6282aa", weight: 1.5, interactive: false }
        : { fillColor: "#ffffff", fillOpacity: 1, color: "#8a97a8", weight: 1.5, interactive: false };
    },
    workerStyle: function (feature, context) {
      /* Also the layer's `style`: GeoJSON re-applies it to every marker after pointToLayer. */
      var h = (context && context.hideout) || {};
      var p = feature.properties;
      return {
        radius: 5,
        fillColor: (h.typeColors || {})[p.type] || "#1f6feb",
        fillOpacity: p.status === "offline" ? 0.35 : 0.95,
        color: (h.statusColors || {})[p.status] || "#ffffff",
        weight: 2
      };
    },
    workerMarker: function (feature, latlng, context) {
      var options = window.zhizhi.map.workerStyle(feature, context);
      options.pane = "workers";  /* above grids and heat; a marker made here would default to the overlay pane */
      var marker = L.circleMarker(latlng, options);
      if (feature.properties.tooltip) { marker.bindTooltip(feature.properties.tooltip); }
      return marker;
    }
  };
})();

/* Hover box: the name and key figures of the unit under the pointer, from the layer's hideout. */
window.dash_clientside = window.dash_clientside || {};
/* This page's layer loads: the newest request, the sources on their way (JSON), the URLs drawn. */
window.zhizhiLayerLoader = { request: 0, pending: null, shown: {}, retries: 3, retryMs: 3000 };
window.dash_clientside.zhizhi = {
  download: function (href) {
    /* A finished export downloads by itself; same-origin job URLs only. */
    if (typeof href === "string" && href.indexOf("/export/jobs/") === 0) {
      var link = document.createElement("a");
      link.href = href;
      link.setAttribute("download", "");
      document.body.appendChild(link);
      link.click();
      link.remove();
    }
    return window.dash_clientside.no_update;
  },
  loadLayers: async function (sources) {
    /* The grid (also the hotspots' geometry), unit and outline layers of the view in `sources` (their URLs),
       fetched here because dash-leaflet's GeoJSON drops a new `url` or hideout that arrives while it is
       still fetching. Only what changed is fetched; the same sources again (a refresh) while they are on
       their way change nothing; an answer for a view that has since been replaced is dropped; a failed
       fetch is tried again a few times, then the map stays as it is until the next refresh asks again. */
    var dc = window.dash_clientside, loader = window.zhizhiLayerLoader, names = ["grids", "units", "outline"];
    var key = JSON.stringify(sources || {});
    if (key === loader.pending) { throw dc.PreventUpdate; }
    var wanted = names.filter(function (name) { return sources && sources[name] && loader.shown[name] !== sources[name]; });
    var request = ++loader.request;
    loader.pending = null;
    if (!wanted.length) { throw dc.PreventUpdate; }
    loader.pending = key;
    var bodies = null;
    for (var attempt = 0; bodies === null; attempt++) {
      try {
        bodies = await Promise.all(wanted.map(function (name) {
          return fetch(sources[name], { credentials: "same-origin" }).then(function (response) {
            if (!response.ok) { throw new Error(response.status); }
            return response.json();
          });
        }));
      } catch (e) {
        if (request !== loader.request || attempt >= loader.retries) { break; }
        await new Promise(function (resolve) { window.setTimeout(resolve, loader.retryMs); });
      }
    }
    if (request !== loader.request) { throw dc.PreventUpdate; }
    loader.pending = null;
    if (bodies === null) { throw dc.PreventUpdate; }
    var data = {};
    wanted.forEach(function (name, i) { data[name] = bodies[i]; loader.shown[name] = sources[name]; });
    function out(name) { return name in data ? data[name] : dc.no_update; }
    return [out("grids"), out("grids"), out("units"), out("outline")];
  },
  unitLabels: function (hideout, mapId) {
    /* The unit layer's new hideout (worker counts, selection): relabel with it. */
    var container = document.getElementById(mapId);
    if (container) {
      container.zhizhiUnits = hideout || {};
      if (container.zhizhiMap) { container.zhizhiMap.zhizhiRelabel(); }
    }
  },
  hotspotInfo: function (hover, hideout) {
    /* A hot grid under the pointer: what is hot there, and that a click opens the evidence. */
    if (!hover || !hover.properties) { return ["", true]; }
    var tip = ((hideout && hideout.tips) || {})[hover.properties.code] || "";
    return [hover.properties.name + (tip ? "｜" + tip : "") + "（点击查看依据）", false];
  },
  hoverInfo: function (hover, hideout) {
    if (!hover || !hover.properties) { return ["", true]; }
    var p = hover.properties;
    var figures = (hideout && hideout.figures) || {};
    var line = figures[p.code] || "";
    return [p.name + (line ? "｜" + line : ""), false];
  }
};

/* Live updates stop while the tab is hidden (a wall screen in another tab costs nothing) and resume at once. */
document.addEventListener("visibilitychange", function () {
  if (window.dash_clientside && window.dash_clientside.set_props) {  /* dcc.Interval renders no element to look for */
    window.dash_clientside.set_props("live-tick", { disabled: document.hidden });
  }
});

/* Dash's renderer keeps an undo history of every change to a callback input (for its dev tools' undo
   button) and never drops any: every timer tick adds an entry (the live poll alone: 28,800 a day), for
   weeks on a wall. Loaded by both the dashboard and the big screen. Nothing here can undo, so cap it at a
   few entries: "REVERT" (the renderer's own history action; it drops the newest entry) touches nothing else. If a future
   renderer has no such history, this does nothing. */
(function () {
  if (window.zhizhiHistoryTrim) { return; }
  var KEEP = 20;
  window.zhizhiHistoryTrim = window.setInterval(function () {
    (window.dash_stores || []).forEach(function (store) {
      try {
        var history = store.getState().history;
        var extra = history && history.past ? history.past.length - KEEP : 0;
        for (var i = 0; i < extra; i++) { store.dispatch({ type: "REVERT" }); }
      } catch (e) { /* nothing to trim */ }
    });
  }, 60000);
})();

/* 全屏: the map panel (map, toolbar, legend) fills the screen through the Fullscreen API, or fills the window
   where the browser refuses it; either way the map is told its new size (Leaflet does not see a container
   resize by itself). Esc leaves both. */
(function () {
  function panel() { return document.querySelector(".map-panel"); }
  function full(p) { return document.fullscreenElement === p || p.classList.contains("full-window"); }
  function resized() {
    var p = panel();
    var button = document.getElementById("map-fullscreen");
    if (!p || !button) { return; }
    button.title = full(p) ? "退出全屏" : "全屏";
    button.setAttribute("aria-label", button.title);
    button.classList.toggle("on", full(p));
    window.requestAnimationFrame(function () {
      var container = document.getElementById("map");
      if (container && container.zhizhiMap) { container.zhizhiMap.invalidateSize(); }
      else if (window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("map", { invalidateSize: Date.now() });
      }
    });
  }
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#map-fullscreen")) { return; }
    var p = panel();
    if (document.fullscreenElement) { document.exitFullscreen(); return; }
    if (p.classList.contains("full-window")) { p.classList.remove("full-window"); resized(); return; }
    var fallback = function () { p.classList.add("full-window"); resized(); };
    if (p.requestFullscreen) { p.requestFullscreen().catch(fallback); } else { fallback(); }
  });
  document.addEventListener("keydown", function (event) {
    var p = panel();
    if (event.key === "Escape" && p && p.classList.contains("full-window")) { p.classList.remove("full-window"); resized(); }
  });
  document.addEventListener("fullscreenchange", resized);
})();
