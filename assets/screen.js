/* Big screen (/screen/) only; the main app ignores this file (assets_ignore in app.py).
   Map styling functions are referenced from Python as {"variable": "zhizhi.screen.<name>"} and read only
   the layer's `hideout`, so a tour step restyles without resending geometry. Nothing on the wall is
   clickable, so every style says `interactive: false` (see assets/map.js for why it is said here). */
window.zhizhi = window.zhizhi || {};
window.zhizhi.screen = (function () {
  /* Unit labels: each style function says how much its unit's label matters (labelRank, 0: none); after
     every move the labels are laid out again, most important and largest unit first, and a label is shown
     only whole inside the map and clear of every label shown before it and of the legend. */
  function rect(el) { return el.getBoundingClientRect(); }
  function clash(r, taken, pad) {
    return taken.some(function (t) {
      return r.left < t.right + pad && r.right > t.left - pad && r.top < t.bottom + pad && r.bottom > t.top - pad;
    });
  }
  /* Even-odd point in polygon over every ring of a (multi)polygon layer. */
  function rings(latlngs) {
    return latlngs.length && latlngs[0].lat !== undefined ? [latlngs] : [].concat.apply([], latlngs.map(rings));
  }
  function contains(layer, latlng) {
    if (!layer.getBounds().contains(latlng)) { return false; }
    var inside = false, x = latlng.lng, y = latlng.lat;
    layer.zhizhiRings = layer.zhizhiRings || rings(layer.getLatLngs());
    layer.zhizhiRings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i], b = ring[j];
        if ((a.lat > y) !== (b.lat > y) && x < (b.lng - a.lng) * (y - a.lat) / (b.lat - a.lat) + a.lng) { inside = !inside; }
      }
    });
    return inside;
  }
  /* At district level the wall counts workers per street, in the street's label, instead of drawing
     1,000-odd markers over the heat (the legend counts them by status); inside a street it draws them. */
  function streetContent(layer, count) {
    var el = document.createElement("div");
    el.appendChild(document.createTextNode(layer.feature.properties.name));
    if (count !== null) {
      var line = document.createElement("div");
      line.className = "screen-label-count";
      line.textContent = "网格员 " + count.toLocaleString("en-US") + " 人";
      el.appendChild(line);
    }
    return el;
  }
  var markersMade = 0;  /* bumped by workerMarker: the counts are redone only when the layer was redrawn */
  function countPerStreet(map) {
    var streets = [], points = [];
    map.eachLayer(function (layer) {
      if (layer.zhizhiStreet) { streets.push(layer); }
      else if (layer.feature && layer.getLatLng && layer.options.pane === "workers") { points.push(layer.getLatLng()); }
    });
    /* No worker layer yet (it comes with the first live poll): no counts rather than zeros. */
    var district = streets.length > 0 && points.length > 0 && streets.every(function (s) { return s.options.labelRank === 3; });
    map.getContainer().classList.toggle("screen-district-view", district);
    var key = markersMade + ":" + district + ":" + streets.length;
    if (map.zhizhiCountKey === key) { return; }
    map.zhizhiCountKey = key;
    var counts = streets.map(function () { return 0; });
    if (district) {
      points.forEach(function (p) {
        var i = streets.findIndex(function (s) { return contains(s, p); });
        if (i < 0) {  /* rounded to ~100 m, a few fall just off the coast or a border: the nearest street's */
          var far = streets.map(function (s) { var b = s.getBounds(), c = L.latLng(
            Math.max(b.getSouth(), Math.min(b.getNorth(), p.lat)), Math.max(b.getWest(), Math.min(b.getEast(), p.lng)));
            return c.distanceTo(p); });
          i = far.indexOf(Math.min.apply(null, far));
        }
        counts[i] += 1;
      });
    }
    streets.forEach(function (street, i) {
      var count = district ? counts[i] : null;
      if (street.zhizhiCount !== count) { street.zhizhiCount = count; street.setTooltipContent(streetContent(street, count)); }
    });
  }
  /* A unit's label element, if the layer is a labelled unit whose label is on the page. */
  function labelOf(layer) {
    var tip = layer.feature && layer.getTooltip && layer.getTooltip();
    return tip && tip.getElement();
  }
  function declutter(map) {
    countPerStreet(map);
    var container = map.getContainer(), box = rect(container), items = [];
    var taken = Array.prototype.map.call(container.parentNode.querySelectorAll(".screen-legend, .screen-credit"), rect);
    map.eachLayer(function (layer) {
      var el = labelOf(layer);
      if (!el) { return; }
      el.classList.add("screen-label-off");
      var rank = layer.options.labelRank || 0;
      if (rank > 0) {
        var b = layer.getBounds(), area = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
        items.push({ el: el, rank: rank, area: area });
      }
    });
    items.sort(function (a, b) { return b.rank - a.rank || b.area - a.area; });
    items.forEach(function (item) {
      var r = rect(item.el);
      var whole = r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
      if (whole && !clash(r, taken, 6)) { item.el.classList.remove("screen-label-off"); taken.push(r); }
    });
  }
  function watch(map) {
    if (!map || map.zhizhiLabels) { return; }
    var timer = null;
    map.zhizhiLabels = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { declutter(map); }, 120);
    };
    /* While the map moves, labels placed for the old view would slide past its edge: hide them until the
       move ends and they are laid out again. */
    map.on("movestart zoomstart resize", function () {
      window.clearTimeout(timer);  /* a layout asked for before the move would place labels mid-flight */
      map.eachLayer(function (layer) {
        var el = labelOf(layer);
        if (el) { el.classList.add("screen-label-off"); }
      });
    });
    map.on("moveend zoomend layeradd resize", map.zhizhiLabels);
    /* A label placed whole can end up half outside when something other than a map event changes it: its
       text (a restyle) or the map's box (the wall's layout settling). Lay out again then too; declutter only
       toggles classes, which these observers ignore, so they do not loop. */
    var container = map.getContainer();
    new MutationObserver(map.zhizhiLabels).observe(container.querySelector(".leaflet-tooltip-pane") || container,
                                                   { childList: true, characterData: true, subtree: true });
    new ResizeObserver(map.zhizhiLabels).observe(container);
  }
  function label(className, street) {
    return function (feature, layer) {
      layer.zhizhiStreet = street;
      layer.bindTooltip(feature.properties.name, { permanent: true, direction: "center",
                                                   className: "screen-unit-label screen-label-off " + className });
      layer.on("add", function () { watch(layer._map); layer._map.zhizhiLabels(); });
    };
  }
  /* A circle marker drawn as another shape (SVG path): the status is read from the shape as well as the colour. */
  var ShapeMarker = null;
  var SHAPES = {
    diamond: [[0, -1.3], [1.3, 0], [0, 1.3], [-1.3, 0]],
    square: [[-0.95, -0.95], [0.95, -0.95], [0.95, 0.95], [-0.95, 0.95]],
    triangle: [[0, -1.3], [1.2, 0.9], [-1.2, 0.9]]
  };
  function shapeMarker() {
    if (!ShapeMarker) {
      ShapeMarker = L.CircleMarker.extend({
        _updatePath: function () {
          var points = SHAPES[this.options.shape], p = this._point, r = this._radius;
          if (!points || !this._renderer._setPath) { return L.CircleMarker.prototype._updatePath.call(this); }
          var d = points.map(function (q, i) { return (i ? "L" : "M") + (p.x + q[0] * r) + "," + (p.y + q[1] * r); });
          this._renderer._setPath(this, d.join("") + "z");
        }
      });
    }
    return ShapeMarker;
  }
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
        interactive: false,
        /* District: every street. Inside a street its communities are named instead (the header names the
           street); neighbours only where room is left. */
        labelRank: !h.selected ? 3 : (selected ? 0 : 1)
      };
    },
    streetLabel: label("screen-street-label", true),
    communityStyle: function (feature, context) {
      var h = (context && context.hideout) || {};
      var code = feature.properties.code;
      if (!h.street || code.indexOf(h.street) !== 0) {
        return { fill: false, opacity: 0, weight: 0, interactive: false, labelRank: 0 };
      }
      var selected = h.selected && code === h.selected;
      return { fill: false, color: selected ? "#5cf2ff" : "#7fa6d6", weight: selected ? 3 : 0.9, opacity: selected ? 1 : 0.7,
               interactive: false, labelRank: selected ? 4 : 2 };
    },
    communityLabel: label("screen-community-label", false),
    /* Status only, in colour and shape (hideout.statusStyle, from layers/workers.py), sized to the screen's
       height; no tooltip, no popup, no name. Drawn in the "workers" pane (above the heat image); a marker
       made here would otherwise go to Leaflet's default overlay pane, under it. */
    workerMarker: function (feature, latlng, context) {
      var h = (context && context.hideout) || {};
      var style = (h.statusStyle || {})[feature.properties.status] || { color: "#5cb8ff", shape: "circle" };
      var Marker = shapeMarker();
      markersMade += 1;
      return new Marker(latlng, {
        pane: "workers",
        shape: style.shape,
        radius: Math.max(4, window.innerHeight / 200),
        stroke: true,
        color: "#07111f",
        weight: Math.max(1, window.innerHeight / 900),
        fillColor: style.color,
        fillOpacity: feature.properties.status === "offline" ? 0.7 : 0.95,
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
