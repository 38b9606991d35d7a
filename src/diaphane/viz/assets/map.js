/* diaphane embedding map: zoom, pan, hover for neighbours, search, labels that fit.
 *
 * Data (see embedding_map.py): n, mode ("svg" | "canvas"), words, xy (base64 u16 pairs on
 * a 0..grid square, y down), height, k, bits, neighbours (base64, bit-packed), neighbour_space,
 * colour ("labels" | "scores" | "none") with names/colours/codes or limit/scores.
 * Points live in "base" pixels (the map fitted to the view); the zoom transform
 * {k, x, y} maps base to screen: screen = x + k * base. Words reach the DOM only as
 * textContent.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var view = document.getElementById("map-view");
  var n = data.n, K = data.k, words = data.words;
  var R = 2.5, LABEL_FONT = "11px system-ui, 'DejaVu Sans', sans-serif";
  var MAX_LABELS = 350, CELL = 8;

  // ------------------------------------------------------------------ decoding
  function bytes(b64) {
    var s = atob(b64), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  var LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  function typed(b64, type) {
    var b = bytes(b64), size = { u8: 1, u16: 2, i16: 2, u32: 4 }[type];
    var Ctor = { u8: Uint8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array }[type];
    if (LITTLE) return new Ctor(b.buffer, 0, b.length / size);
    var dv = new DataView(b.buffer), out = new Ctor(b.length / size);
    for (var i = 0; i < out.length; i++) {
      out[i] = size === 1 ? dv.getUint8(i) : type === "i16" ? dv.getInt16(2 * i, true) :
        size === 2 ? dv.getUint16(2 * i, true) : dv.getUint32(4 * i, true);
    }
    return out;
  }
  var grid = typed(data.xy, "u16");
  var nbrs = unpackBits(data.neighbours, data.bits, n * K);
  var NONE = Math.pow(2, data.bits) - 1;
  function unpackBits(b64, bits, count) {
    var b = bytes(b64), out = new Uint32Array(count), p = 0;
    for (var i = 0; i < count; i++) {
      var v = 0;
      for (var j = 0; j < bits; j++, p++) v |= ((b[p >> 3] >> (p & 7)) & 1) << j;
      out[i] = v >>> 0;
    }
    return out;
  }

  // ------------------------------------------------------------------ colours
  function hex(c) { return [1, 3, 5].map(function (j) { return parseInt(c.substr(j, 2), 16); }); }
  function mix(a, b, t) {
    var x = hex(a), y = hex(b);
    return "rgb(" + [0, 1, 2].map(function (j) {
      return Math.round(x[j] + (y[j] - x[j]) * t);
    }).join(",") + ")";
  }
  var BINS = 10;  // score colours per side
  var groupOf = new Uint16Array(n), groupColours = [];
  var scores = null;
  if (data.colour === "labels") {
    var codes = typed(data.codes, data.codetype);
    groupColours = data.colours.slice();
    for (var i = 0; i < n; i++) groupOf[i] = codes[i];
  } else if (data.colour === "scores") {
    scores = typed(data.scores, "i16");
    var sc = data.score_colours;
    for (var b = -BINS; b <= BINS; b++) {
      groupColours.push(b < 0 ? mix(sc[1], sc[0], -b / BINS) : mix(sc[1], sc[2], b / BINS));
    }
    groupColours.push("#e0e0e0");  // no score
    for (var j = 0; j < n; j++) {
      groupOf[j] = scores[j] === -32768 ? 2 * BINS + 1 :
        Math.round(scores[j] / 32767 * BINS) + BINS;
    }
  } else {
    groupColours = [data.plain];
  }
  function scoreOf(i) { return scores[i] === -32768 ? null : scores[i] / 32767 * data.limit; }

  // ------------------------------------------------------------------ geometry
  var W = 0, H = 0, bx = new Float32Array(n), by = new Float32Array(n), fit = { s: 1 };
  var z = { k: 1, x: 0, y: 0 };
  function layoutBase() {
    W = view.clientWidth; H = view.clientHeight;
    var m = 24, s = Math.max(1, Math.min(W - 2 * m, (H - 2 * m) / data.height));
    var ox = (W - s) / 2, oy = (H - s * data.height) / 2;
    for (var i = 0; i < n; i++) {
      bx[i] = ox + s * grid[2 * i] / data.grid;
      by[i] = oy + s * grid[2 * i + 1] / data.grid;
    }
    fit = { s: s, ox: ox, oy: oy };
    buildIndex();
  }
  function sx(i) { return z.x + z.k * bx[i]; }
  function sy(i) { return z.y + z.k * by[i]; }

  // A uniform grid over base pixels finds the point under the pointer without a scan.
  var index = null;
  function buildIndex() {
    var G = 96, cw = Math.max(W, 1) / G, ch = Math.max(H, 1) / G;
    var cellOf = new Int32Array(n), counts = new Int32Array(G * G + 1);
    for (var i = 0; i < n; i++) {
      var cx = Math.min(G - 1, Math.max(0, Math.floor(bx[i] / cw)));
      var cy = Math.min(G - 1, Math.max(0, Math.floor(by[i] / ch)));
      cellOf[i] = cy * G + cx;
      counts[cellOf[i] + 1]++;
    }
    for (var c = 0; c < G * G; c++) counts[c + 1] += counts[c];
    var order = new Int32Array(n), fill = counts.slice(0, G * G);
    for (var p = 0; p < n; p++) order[fill[cellOf[p]]++] = p;
    index = { G: G, cw: cw, ch: ch, starts: counts, order: order };
  }
  function nearest(px, py, radius) {
    var ux = (px - z.x) / z.k, uy = (py - z.y) / z.k, r = radius / z.k, best = -1, bd = r * r;
    var G = index.G;
    var x0 = Math.max(0, Math.floor((ux - r) / index.cw)), x1 = Math.min(G - 1, Math.floor((ux + r) / index.cw));
    var y0 = Math.max(0, Math.floor((uy - r) / index.ch)), y1 = Math.min(G - 1, Math.floor((uy + r) / index.ch));
    for (var cy = y0; cy <= y1; cy++) {
      for (var cx = x0; cx <= x1; cx++) {
        var c = cy * G + cx;
        for (var t = index.starts[c]; t < index.starts[c + 1]; t++) {
          var i = index.order[t], dx = bx[i] - ux, dy = by[i] - uy, d = dx * dx + dy * dy;
          if (d < bd || (d === bd && i < best)) { bd = d; best = i; }
        }
      }
    }
    return best;
  }
  function neighboursOf(i) {
    var out = [];
    for (var j = 0; j < K; j++) {
      var v = nbrs[i * K + j];
      if (v !== NONE) out.push(v);
    }
    return out;
  }

  // ------------------------------------------------------------------ drawing
  var world = null, pointsLayer = null, canvas = null, ctx = null;
  var overlay = D.svg("svg", { "class": "map-overlay" });
  var linkLayer = D.svg("g", { "class": "map-links" });
  var hitLayer = D.svg("g", { "class": "map-hits" });
  var labelLayer = D.svg("g", { "class": "map-labels" });
  overlay.appendChild(linkLayer);
  overlay.appendChild(hitLayer);
  overlay.appendChild(labelLayer);

  function dot(i) { return "M" + bx[i].toFixed(2) + " " + by[i].toFixed(2) + "h0"; }
  function buildPoints() {
    if (data.mode === "svg") {
      var svg = D.svg("svg", { "class": "map-points-svg", role: "img", "aria-label": document.title });
      world = D.svg("g", { "class": "map-world" });
      pointsLayer = D.svg("g", { "class": "map-points" });
      for (var i = 0; i < n; i++) {
        // A zero-length round-capped stroke with a non-scaling width is a dot that keeps
        // its size under the zoom transform, so zooming changes one attribute, not 10,000.
        pointsLayer.appendChild(D.svg("path", { "class": "map-point", "data-i": i,
          d: dot(i), stroke: groupColours[groupOf[i]] }));
      }
      world.appendChild(pointsLayer);
      svg.appendChild(world);
      view.appendChild(svg);
      canvas = svg;
    } else {
      canvas = D.el("canvas", { "class": "map-canvas", "data-points": n });
      ctx = canvas.getContext("2d");
      view.appendChild(canvas);
    }
    view.appendChild(overlay);
  }
  function sizeLayers() {
    var dpr = window.devicePixelRatio || 1;
    [canvas, overlay].forEach(function (el) {
      el.setAttribute("width", W);
      el.setAttribute("height", H);
      el.style.width = W + "px";
      el.style.height = H + "px";
    });
    if (ctx) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
      prepareCanvas();
    } else {
      for (var i = 0; i < n; i++) pointsLayer.childNodes[i].setAttribute("d", dot(i));
    }
  }
  // Canvas points are written straight into an ImageData: with no GPU, filling 20,000
  // arc paths costs a third of a second a frame, setting pixels a few milliseconds.
  var image = null, pixels = null, disc = null, packed = null;
  function prepareCanvas() {
    var dpr = window.devicePixelRatio || 1, r = R * dpr, off = [];
    image = ctx.createImageData(canvas.width, canvas.height);
    pixels = new Uint32Array(image.data.buffer);
    for (var dy = -Math.ceil(r); dy <= Math.ceil(r); dy++) {
      for (var dx = -Math.ceil(r); dx <= Math.ceil(r); dx++) {
        if (dx * dx + dy * dy <= r * r + 0.5) off.push([dx, dy]);
      }
    }
    disc = off;
    packed = new Uint32Array(groupColours.length);
    groupColours.forEach(function (c, g) {
      var m = /rgb\((\d+),(\d+),(\d+)\)/.exec(c), v = m ? [+m[1], +m[2], +m[3]] : hex(c);
      // ImageData is RGBA in memory: as a little-endian u32 that is 0xAABBGGRR.
      packed[g] = LITTLE ? ((255 << 24) | (v[2] << 16) | (v[1] << 8) | v[0]) >>> 0 :
        ((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | 255) >>> 0;
    });
  }
  function drawPoints() {
    if (!ctx) {
      world.setAttribute("transform", "translate(" + z.x + "," + z.y + ") scale(" + z.k + ")");
      return;
    }
    var dpr = window.devicePixelRatio || 1, w = canvas.width, h = canvas.height;
    var pad = Math.ceil(R * dpr) + 1, m = disc.length, flat = new Int32Array(m);
    for (var t = 0; t < m; t++) flat[t] = disc[t][1] * w + disc[t][0];
    pixels.fill(0);
    for (var i = 0; i < n; i++) {
      var x = Math.round(sx(i) * dpr), y = Math.round(sy(i) * dpr);
      if (x < -pad || y < -pad || x >= w + pad || y >= h + pad) continue;
      var colour = packed[groupOf[i]], base = y * w + x;
      if (x >= pad && y >= pad && x < w - pad && y < h - pad) {
        for (var u = 0; u < m; u++) pixels[base + flat[u]] = colour;
      } else {  // near the border: clip pixel by pixel
        for (var q = 0; q < m; q++) {
          var px = x + disc[q][0], py = y + disc[q][1];
          if (px >= 0 && py >= 0 && px < w && py < h) pixels[py * w + px] = colour;
        }
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  // ------------------------------------------------------------------ labels
  var measure = document.createElement("canvas").getContext("2d");
  measure.font = LABEL_FONT;
  var widths = new Float32Array(n).fill(-1);
  function widthOf(i) {
    if (widths[i] < 0) widths[i] = measure.measureText(words[i]).width;
    return widths[i];
  }
  var labelPool = [];
  function placeLabels(forced) {
    var cols = Math.ceil(W / CELL) + 1, rows = Math.ceil(H / CELL) + 1;
    var taken = new Uint8Array(cols * rows), placed = [];
    function fits(x0, y0, x1, y1, mark) {
      var c0 = Math.floor(x0 / CELL), c1 = Math.floor(x1 / CELL);
      var r0 = Math.floor(y0 / CELL), r1 = Math.floor(y1 / CELL);
      if (!mark && (c0 < 0 || r0 < 0 || c1 >= cols || r1 >= rows)) return false;
      for (var r = Math.max(0, r0); r <= Math.min(rows - 1, r1); r++) {
        for (var c = Math.max(0, c0); c <= Math.min(cols - 1, c1); c++) {
          if (mark) taken[r * cols + c] = 1;
          else if (taken[r * cols + c]) return false;
        }
      }
      return true;
    }
    function put(i, hit) {
      var x = sx(i) + 4, y = sy(i);
      fits(x, y - 7, x + widthOf(i), y + 6, true);
      placed.push([i, x, y, hit]);
    }
    forced.forEach(function (i) { put(i, true); });
    var isForced = {};
    forced.forEach(function (i) { isForced[i] = true; });
    for (var i = 0; i < n && placed.length < MAX_LABELS; i++) {
      if (isForced[i]) continue;
      var x = sx(i) + 4, y = sy(i);
      if (x < 0 || y < 7 || x > W || y > H - 6) continue;
      var first = Math.floor(y / CELL) * cols + Math.floor(x / CELL);
      if (taken[first]) continue;  // cheap test before measuring the word
      if (fits(x, y - 7, x + widthOf(i), y + 6, false)) put(i, false);
    }
    renderLabels(placed);
  }
  function renderLabels(placed) {
    while (labelPool.length < placed.length) {
      labelPool.push(D.svg("text", { "class": "map-label map-label-halo" }));
    }
    labelLayer.replaceChildren();
    placed.forEach(function (p, t) {
      var node = labelPool[t];
      node.setAttribute("x", p[1].toFixed(1));
      node.setAttribute("y", (p[2] + 4).toFixed(1));
      node.setAttribute("class", "map-label map-label-halo" + (p[3] ? " is-hit" : ""));
      node.setAttribute("data-i", p[0]);
      node.textContent = words[p[0]];
      labelLayer.appendChild(node);
    });
  }

  // ------------------------------------------------------------------ highlights
  var selected = -1, hovered = -1;
  function highlighted() {
    var out = [], seen = {};
    [selected, hovered].forEach(function (c) {
      if (c < 0) return;
      [c].concat(neighboursOf(c)).forEach(function (i) {
        if (!seen[i]) { seen[i] = true; out.push(i); }
      });
    });
    return out;
  }
  function drawHighlights() {
    linkLayer.replaceChildren();
    hitLayer.replaceChildren();
    [selected, hovered].forEach(function (c) {
      if (c < 0) return;
      neighboursOf(c).forEach(function (i) {
        linkLayer.appendChild(D.svg("line", { "class": "map-link", x1: sx(c), y1: sy(c),
          x2: sx(i), y2: sy(i) }));
        hitLayer.appendChild(D.svg("circle", { "class": "map-hit", cx: sx(i), cy: sy(i),
          r: R + 3, "data-i": i }));
      });
      hitLayer.appendChild(D.svg("circle", { "class": "map-hit is-centre", cx: sx(c),
        cy: sy(c), r: R + 4, "data-i": c }));
    });
  }

  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      drawPoints();
      drawHighlights();
      placeLabels(highlighted());
    });
  }
  function redrawNow() { drawPoints(); drawHighlights(); placeLabels(highlighted()); }

  // ------------------------------------------------------------------ tooltip
  function tipLines(i) {
    var lines = [{ text: words[i], head: true }];
    if (data.colour === "labels") lines.push(data.names[groupOf[i]]);
    if (data.colour === "scores") lines.push(data.score_name + ": " + D.fmt(scoreOf(i)));
    var near = neighboursOf(i).map(function (j) { return words[j]; });
    if (near.length) {
      var where = data.neighbour_space === "map" ? "nearest on the map" : "nearest neighbours";
      lines.push(where + ":");
      lines.push({ text: near.join(", ") });
    }
    return lines;
  }

  // ------------------------------------------------------------------ search
  var status = document.getElementById("map-status");
  var suggestions = document.getElementById("map-suggestions");
  var exact = null, folded = null;
  function lookup(q) {
    if (!exact) {
      exact = new Map(); folded = new Map();
      for (var i = n - 1; i >= 0; i--) {
        exact.set(words[i], i);
        folded.set(words[i].toLowerCase(), i);
      }
    }
    if (exact.has(q)) return exact.get(q);
    return folded.has(q.toLowerCase()) ? folded.get(q.toLowerCase()) : -1;
  }
  function suggest(q) {
    var lower = q.toLowerCase(), out = [];
    for (var i = 0; i < n && out.length < 8; i++) {
      if (words[i].toLowerCase().indexOf(lower) === 0) out.push(i);
    }
    suggestions.replaceChildren();
    out.forEach(function (i) {
      var b = D.el("button", { type: "button", "data-i": i }, words[i]);
      b.addEventListener("click", function () { select(i); });
      suggestions.appendChild(b);
    });
    return out;
  }
  function select(i) {
    selected = i;
    suggestions.replaceChildren();
    if (i < 0) { redraw(); return; }
    document.getElementById("map-query").value = words[i];
    status.textContent = "“" + words[i] + "” and its " + neighboursOf(i).length +
      " nearest neighbours";
    var k = Math.max(z.k, 3);
    zoomer.set(k, W / 2 - k * bx[i], H / 2 - k * by[i]);
  }
  document.getElementById("map-search").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = document.getElementById("map-query").value.trim();
    if (!q) { select(-1); status.textContent = ""; return; }
    var i = lookup(q);
    if (i >= 0) { select(i); return; }
    var some = suggest(q);
    status.textContent = "no word “" + q + "”" + (some.length ? "; did you mean:" : "");
  });
  document.getElementById("map-query").addEventListener("input", function (event) {
    var q = event.target.value.trim();
    if (q.length >= 2) suggest(q); else suggestions.replaceChildren();
  });

  // ------------------------------------------------------------------ legend
  function legend() {
    var box = document.getElementById("map-legend");
    function swatch(colour, text) {
      var item = D.el("span", { "class": "dia-legend-item" });
      var sw = D.el("span", { "class": "dia-swatch" });
      sw.style.background = colour;
      item.appendChild(sw);
      item.appendChild(D.el("span", null, text));
      box.appendChild(item);
    }
    if (data.colour === "labels") {
      data.names.forEach(function (name, g) { swatch(groupColours[g], name); });
    } else if (data.colour === "scores") {
      var sc = data.score_colours;
      box.appendChild(D.el("span", { "class": "dia-legend-item" }, data.score_name + ":"));
      box.appendChild(D.el("span", null, D.fmt(-data.limit)));
      var bar = D.el("span", { "class": "map-colourbar" });
      bar.style.background = "linear-gradient(to right," + sc.join(",") + ")";
      box.appendChild(bar);
      box.appendChild(D.el("span", null, "+" + D.fmt(data.limit)));
      swatch(groupColours[2 * BINS + 1], "no score");
    }
  }

  // ------------------------------------------------------------------ events
  var zoomer = null;
  function start() {
    layoutBase();
    buildPoints();
    sizeLayers();
    legend();
    zoomer = D.zoom(view, function (t) { z = t; D.tooltip.hide(); redraw(); },
      { minScale: 0.5, maxScale: 400 });
    view.addEventListener("pointermove", function (event) {
      if (event.buttons) return;
      var box = view.getBoundingClientRect();
      var i = nearest(event.clientX - box.left, event.clientY - box.top, 10);
      if (i !== hovered) { hovered = i; redraw(); }
      if (i >= 0) D.tooltip.show(tipLines(i), event); else D.tooltip.hide();
    });
    view.addEventListener("pointerleave", function () {
      hovered = -1; D.tooltip.hide(); redraw();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { select(-1); status.textContent = ""; }
    });
    window.addEventListener("resize", function () { layoutBase(); sizeLayers(); redraw(); });
    redrawNow();
  }
  start();
  // For tests and the curious: where a word is drawn now, in page coordinates.
  window.diaphaneMap = {
    screenOf: function (i) {
      var box = view.getBoundingClientRect();
      return [box.left + sx(i), box.top + sy(i)];
    },
    find: function (word) { return lookup(word); },
    state: function () { return { k: z.k, x: z.x, y: z.y, selected: selected, hovered: hovered }; }
  };
})();
