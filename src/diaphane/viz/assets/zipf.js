/* diaphane Zipf plot: word count against rank, log-log, with the fitted line.
 *
 * Data: {ranks: [...], counts: [...], words: [...], types, tokens,
 *        fit: {slope, intercept, lo, hi}, labelled, colours: {point, fit}}
 * Hover shows the nearest word; the plot is focusable and ← → step through the ranks;
 * the search box finds a word. Words reach the DOM only through textContent.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var W = 760, H = 440, M = { left: 64, right: 20, top: 14, bottom: 46 };
  var n = data.ranks.length;
  var lx = function (r) { return Math.log10(r); };
  var xMax = Math.max(1, lx(data.ranks[n - 1])), yMax = Math.max(1, lx(data.counts[0]));
  var xHi = Math.ceil(xMax + 1e-9), yHi = Math.ceil(yMax + 1e-9);
  function X(r) { return M.left + (lx(r) / xHi) * (W - M.left - M.right); }
  function Y(c) { return H - M.bottom - (lx(c) / yHi) * (H - M.top - M.bottom); }

  function grouped(k) { return String(k).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  var view = document.getElementById("zipf-view");
  var svg = D.svg("svg", {
    viewBox: "0 0 " + W + " " + H, width: W, height: H, tabindex: 0, role: "img",
    "aria-label": "count against rank, log-log; arrow keys step through the words"
  });
  view.appendChild(svg);

  function axes() {
    var g = D.svg("g", { "class": "zipf-axis" });
    for (var i = 0; i <= xHi; i++) {
      var x = X(Math.pow(10, i));
      g.appendChild(D.svg("line", { x1: x, x2: x, y1: M.top, y2: H - M.bottom, "class": "zipf-grid" }));
      g.appendChild(D.svg("text", { x: x, y: H - M.bottom + 16, "text-anchor": "middle" },
        grouped(Math.pow(10, i))));
    }
    for (var j = 0; j <= yHi; j++) {
      var y = Y(Math.pow(10, j));
      g.appendChild(D.svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, "class": "zipf-grid" }));
      g.appendChild(D.svg("text", { x: M.left - 6, y: y + 4, "text-anchor": "end" },
        grouped(Math.pow(10, j))));
    }
    g.appendChild(D.svg("text", { x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" },
      "rank (1 = the commonest word)"));
    g.appendChild(D.svg("text", { x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle",
      transform: "rotate(-90 14 " + (M.top + H - M.bottom) / 2 + ")" }, "count"));
    svg.appendChild(g);
  }

  function fitLine() {
    var f = data.fit;
    var at = function (r) { return Math.pow(10, f.intercept + f.slope * lx(r)); };
    svg.appendChild(D.svg("line", {
      "class": "zipf-fit", x1: X(f.lo), y1: Y(at(f.lo)), x2: X(f.hi), y2: Y(at(f.hi)),
      stroke: data.colours.fit, "stroke-width": 2, "stroke-dasharray": "6 4"
    }));
  }

  var px = [], py = [];
  function points() {
    var g = D.svg("g", { "class": "zipf-points" });
    for (var i = 0; i < n; i++) {
      px.push(X(data.ranks[i]));
      py.push(Y(data.counts[i]));
      g.appendChild(D.svg("circle", {
        "class": "zipf-point", cx: px[i].toFixed(2), cy: py[i].toFixed(2), r: 2.6,
        fill: data.colours.point, "fill-opacity": 0.55, "data-i": i
      }));
    }
    svg.appendChild(g);
    for (var k = 0; k < Math.min(data.labelled, n); k++) {
      svg.appendChild(D.svg("text", { "class": "zipf-label", x: px[k] + 6, y: py[k] - 4 },
        data.words[k]));
    }
  }

  var ring = D.svg("circle", { "class": "zipf-ring", r: 6, visibility: "hidden" });
  var current = -1;
  function lines(i) {
    var share = 100 * data.counts[i] / data.tokens;
    return [
      { text: data.words[i], head: true },
      { text: "rank " + grouped(data.ranks[i]) + " of " + grouped(data.types), mono: true },
      { text: "count " + grouped(data.counts[i]) + " (" + D.fmt(share, 3) + "% of tokens)", mono: true }
    ];
  }
  function select(i, event) {
    current = Math.max(0, Math.min(n - 1, i));
    ring.setAttribute("cx", px[current].toFixed(2));
    ring.setAttribute("cy", py[current].toFixed(2));
    ring.setAttribute("visibility", "visible");
    ring.setAttribute("data-i", current);
    D.tooltip.show(lines(current), event || { target: ring });
  }
  function nearest(event) {
    var box = svg.getBoundingClientRect();
    var sx = W / box.width, sy = H / box.height;
    var x = (event.clientX - box.left) * sx, y = (event.clientY - box.top) * sy;
    var best = -1, bestD = 18 * 18;
    for (var i = 0; i < n; i++) {
      var d = (px[i] - x) * (px[i] - x) + (py[i] - y) * (py[i] - y);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  axes();
  fitLine();
  points();
  svg.appendChild(ring);

  svg.addEventListener("mousemove", function (event) {
    var i = nearest(event);
    if (i < 0) { ring.setAttribute("visibility", "hidden"); D.tooltip.hide(); return; }
    select(i, event);
  });
  svg.addEventListener("mouseleave", function () {
    ring.setAttribute("visibility", "hidden");
    D.tooltip.hide();
  });
  svg.addEventListener("focus", function () { select(current < 0 ? 0 : current); });
  svg.addEventListener("blur", function () { D.tooltip.hide(); });
  svg.addEventListener("keydown", function (event) {
    var moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageDown: 10, PageUp: -10 };
    if (event.key in moves) select(current + moves[event.key]);
    else if (event.key === "Home") select(0);
    else if (event.key === "End") select(n - 1);
    else return;
    event.preventDefault();
  });

  var index = new Map();  // a Map, so a word such as "__proto__" is only a word
  data.words.forEach(function (w, i) { if (!index.has(w)) index.set(w, i); });
  var found = document.getElementById("zipf-found");
  document.getElementById("zipf-find").addEventListener("input", function (event) {
    var word = event.target.value.trim();
    if (!word) { found.textContent = ""; return; }
    if (!index.has(word)) word = word.toLowerCase();
    if (index.has(word)) {
      var i = index.get(word);
      found.textContent = "rank " + grouped(data.ranks[i]) + ", count " + grouped(data.counts[i]);
      select(i, { target: ring });
    } else {
      found.textContent = n < data.types ?
        "not among the " + grouped(n) + " words plotted (the rarest are sampled)" : "not in the corpus";
    }
  });
})();
