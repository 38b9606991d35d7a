/* Pair projection: words in a PCA plane, an arrow from each first word to its second,
 * the mean offset dashed; hovering a pair shows its words and its offset's cosine with
 * the mean offset. Words go into the DOM as text only (Diaphane.svg / textContent). */
"use strict";
(function (D) {
  var d = D.data();
  var W = 900, MIN_H = 260, MAX_H = 640, PAD = 36, LABEL_ROOM = 90;
  var view = document.getElementById("proj-view");

  function bounds() {
    var xs = [], ys = [];
    d.pairs.forEach(function (p) { xs.push(p.s[0], p.t[0]); ys.push(p.s[1], p.t[1]); });
    xs.push(d.mean.s[0], d.mean.t[0]);
    ys.push(d.mean.s[1], d.mean.t[1]);
    return { x0: Math.min.apply(null, xs), x1: Math.max.apply(null, xs),
             y0: Math.min.apply(null, ys), y1: Math.max.apply(null, ys) };
  }

  // One scale for both axes keeps the angles between arrows true; y grows upwards.
  var b = bounds();
  var dx = (b.x1 - b.x0) || 1, dy = (b.y1 - b.y0) || 1;
  var k = Math.min((W - 2 * PAD - LABEL_ROOM) / dx, (MAX_H - 2 * PAD) / dy);
  var H = Math.max(MIN_H, Math.round(dy * k + 2 * PAD));
  var left = PAD + Math.max(0, (W - 2 * PAD - LABEL_ROOM - dx * k) / 2);  // centre it
  function sx(x) { return left + (x - b.x0) * k; }
  function sy(y) { return H - PAD - (y - b.y0) * k; }

  function marker(defs, id, colour) {
    // Sized in pixels, not stroke widths, so thin and thick arrows get the same head.
    var m = D.svg("marker", { id: id, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse",
      orient: "auto-start-reverse" });
    m.appendChild(D.svg("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }));
    defs.appendChild(m);
  }

  function arrow(from, to, cls, colour, markerId) {
    return D.svg("line", { "class": cls, x1: sx(from[0]), y1: sy(from[1]), x2: sx(to[0]),
      y2: sy(to[1]), stroke: colour, "marker-end": "url(#" + markerId + ")" });
  }

  var taken = [];
  function placeLabel(x, y, text) {
    var w = text.length * 6.6 + 4, h = 13;
    var tries = [0, -12, 12, -24, 24, -36, 36];
    for (var i = 0; i < tries.length; i++) {
      var r = [x + 5, y - 9 + tries[i], x + 5 + w, y - 9 + tries[i] + h];
      var clash = taken.some(function (t) {
        return r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3];
      });
      if (!clash) { taken.push(r); return [r[0], r[1] + 10]; }
    }
    return [x + 5, y + 4];
  }

  function tipLines(p) {
    return [
      { text: p.source + " \u2192 " + p.target, head: true },
      d.names.source + ": " + p.source + " \u00b7 " + d.names.target + ": " + p.target,
      "cosine of this offset with the mean offset: " + D.fmt(p.cos, 3),
      "(measured in all " + d.dim + " dimensions, not in this plane)"
    ];
  }

  function pairGroup(p, i) {
    var g = D.svg("g", { "class": "proj-pair", id: "pair-" + i, tabindex: 0,
      "aria-label": p.source + " to " + p.target });
    g.appendChild(D.svg("line", { "class": "proj-hit", x1: sx(p.s[0]), y1: sy(p.s[1]),
      x2: sx(p.t[0]), y2: sy(p.t[1]) }));
    g.appendChild(arrow(p.s, p.t, "proj-arrow", d.colours.arrow, "proj-head"));
    [["source", p.s, p.source], ["target", p.t, p.target]].forEach(function (e) {
      g.appendChild(D.svg("circle", { "class": "proj-point proj-" + e[0], cx: sx(e[1][0]),
        cy: sy(e[1][1]), r: 4.5, fill: d.colours[e[0]] }));
    });
    D.attachTooltip(g, function () { return tipLines(p); });
    g.addEventListener("mouseenter", function () { focusPair(g, true); });
    g.addEventListener("mouseleave", function () { focusPair(g, false); });
    g.addEventListener("focus", function () { focusPair(g, true); });
    g.addEventListener("blur", function () { focusPair(g, false); });
    return g;
  }

  function labels(layer) {
    d.pairs.forEach(function (p, i) {
      [[p.s, p.source], [p.t, p.target]].forEach(function (e) {
        var at = placeLabel(sx(e[0][0]), sy(e[0][1]), e[1]);
        var t = D.svg("text", { "class": "proj-label proj-label-" + i, x: at[0], y: at[1] }, e[1]);
        layer.appendChild(t);
      });
    });
  }

  function focusPair(g, on) {
    g.classList.toggle("is-on", on);
    var i = g.id.slice(5);
    document.querySelectorAll(".proj-label-" + i).forEach(function (t) {
      t.classList.toggle("is-on", on);
    });
    root.classList.toggle("proj-dim", on);
  }

  function legend() {
    var node = document.getElementById("proj-legend");
    [[d.colours.source, d.names.source], [d.colours.target, d.names.target],
     [d.colours.arrow, d.names.source + " \u2192 " + d.names.target],
     [d.colours.mean, "mean offset"]].forEach(function (e) {
      var item = D.el("span", { "class": "dia-legend-item" });
      item.appendChild(D.el("span", { "class": "dia-swatch", style: "background:" + e[0] }));
      item.appendChild(D.el("span", null, e[1]));
      node.appendChild(item);
    });
  }

  var root = D.svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": d.pairs.length + " " + d.names.source + " to " + d.names.target + " arrows" });
  var defs = D.svg("defs");
  marker(defs, "proj-head", d.colours.arrow);
  marker(defs, "proj-mean-head", d.colours.mean);
  root.appendChild(defs);
  root.appendChild(D.svg("text", { "class": "proj-axis-label", x: W - LABEL_ROOM, y: H - 8 },
    "PC 1 (" + Math.round(100 * d.explained[0]) + "% of the variance)"));
  root.appendChild(D.svg("text", { "class": "proj-axis-label", x: 4, y: 14 },
    "PC 2 (" + Math.round(100 * d.explained[1]) + "%)"));
  var mean = arrow(d.mean.s, d.mean.t, "proj-mean", d.colours.mean, "proj-mean-head");
  mean.setAttribute("stroke-width", "2.5");
  mean.setAttribute("stroke-dasharray", "7 5");
  root.appendChild(mean);
  var pairs = D.svg("g", { "class": "proj-pairs" });
  d.pairs.forEach(function (p, i) { pairs.appendChild(pairGroup(p, i)); });
  root.appendChild(pairs);
  var labelLayer = D.svg("g", { "class": "proj-labels" });
  labels(labelLayer);
  root.appendChild(labelLayer);
  view.appendChild(root);
  legend();
})(window.Diaphane);
