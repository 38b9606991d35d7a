/* diaphane line chart (hypergradient figures): named series, optional bands, linear or log y.
 *
 * Data: {series: [{name, colour, dashed, x: [...], y: [...], lo?: [...], hi?: [...]}],
 *        xlabel, ylabel, logy, integerX}   (a null y is a gap)
 * Hover shows every series' value at the nearest x; the chart is focusable and ← → step
 * through the x values. Names reach the DOM only through textContent.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var W = 760, H = 420, M = { left: 72, right: 20, top: 14, bottom: 46 };
  var series = data.series;
  var MARKED = 40;  // series with at most this many points get a marker per point
  var ty = data.logy ? function (v) { return Math.log(v) / Math.LN10; } : function (v) { return v; };

  function usable(v) { return v !== null && v !== undefined && (!data.logy || v > 0); }
  function extent(values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { hi = lo + 1; lo = lo - 1; }
    return [lo, hi];
  }

  var allX = [], ys = [];
  series.forEach(function (s) {
    s.x.forEach(function (v) { allX.push(v); });
    ["y", "lo", "hi"].forEach(function (k) {
      (s[k] || []).forEach(function (v) { if (usable(v)) ys.push(ty(v)); });
    });
  });
  allX = Array.from(new Set(allX)).sort(function (a, b) { return a - b; });
  var xr = extent(allX), yr = extent(ys);
  var ypad = 0.04 * (yr[1] - yr[0]);
  yr = [yr[0] - ypad, yr[1] + ypad];
  function X(v) { return M.left + (v - xr[0]) / (xr[1] - xr[0]) * (W - M.left - M.right); }
  function Y(v) { return H - M.bottom - (ty(v) - yr[0]) / (yr[1] - yr[0]) * (H - M.top - M.bottom); }

  function niceTicks(lo, hi, count, integer) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    if (integer) step = Math.max(1, Math.round(step));  // no tick between two steps
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(v);
    return out;
  }
  function yTicks() {
    if (!data.logy) return niceTicks(yr[0], yr[1], 6);
    var out = [], lo = Math.floor(yr[0]), hi = Math.ceil(yr[1]);
    var mults = hi - lo <= 3 ? [1, 2, 5] : [1];
    for (var e = lo; e <= hi; e++) {
      mults.forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (ty(v) >= yr[0] && ty(v) <= yr[1]) out.push(v);
      });
    }
    return out;
  }

  var view = document.getElementById("hyper-view");
  var svg = D.svg("svg", {
    viewBox: "0 0 " + W + " " + H, width: W, height: H, tabindex: 0, role: "img",
    "aria-label": data.ylabel + " against " + data.xlabel + "; arrow keys step along the lines"
  });
  view.appendChild(svg);

  function axes() {
    var g = D.svg("g", { "class": "hyper-axis" });
    niceTicks(xr[0], xr[1], 8, data.integerX).forEach(function (v) {
      g.appendChild(D.svg("line", { x1: X(v), x2: X(v), y1: M.top, y2: H - M.bottom, "class": "hyper-grid" }));
      g.appendChild(D.svg("text", { x: X(v), y: H - M.bottom + 16, "text-anchor": "middle" }, D.fmt(v, 4)));
    });
    yTicks().forEach(function (v) {
      var y = Y(v);
      g.appendChild(D.svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, "class": "hyper-grid" }));
      g.appendChild(D.svg("text", { x: M.left - 6, y: y + 4, "text-anchor": "end" }, D.fmt(v, 3)));
    });
    g.appendChild(D.svg("line", { x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
    g.appendChild(D.svg("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
    g.appendChild(D.svg("text", { x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" },
      data.xlabel));
    var cy = (M.top + H - M.bottom) / 2;
    g.appendChild(D.svg("text", { x: 14, y: cy, "text-anchor": "middle",
      transform: "rotate(-90 14 " + cy + ")" }, data.ylabel));
    svg.appendChild(g);
  }

  // Runs of consecutive usable points, so a gap (null) breaks the line.
  function path(xsv, vals) {
    var d = "", pen = false;
    for (var i = 0; i < xsv.length; i++) {
      if (!usable(vals[i])) { pen = false; continue; }
      d += (pen ? "L" : "M") + X(xsv[i]).toFixed(2) + "," + Y(vals[i]).toFixed(2);
      pen = true;
    }
    return d;
  }
  function band(s) {
    var top = [], bottom = [];
    for (var i = 0; i < s.x.length; i++) {
      if (!usable(s.lo[i]) || !usable(s.hi[i])) continue;
      top.push(X(s.x[i]).toFixed(2) + "," + Y(s.hi[i]).toFixed(2));
      bottom.unshift(X(s.x[i]).toFixed(2) + "," + Y(s.lo[i]).toFixed(2));
    }
    return top.length ? "M" + top.concat(bottom).join("L") + "Z" : "";
  }

  function lines() {
    series.forEach(function (s, i) {
      if (s.lo && s.hi) {
        svg.appendChild(D.svg("path", { "class": "hyper-band", d: band(s), fill: s.colour, "data-series": i }));
      }
      svg.appendChild(D.svg("path", {
        "class": "hyper-line", d: path(s.x, s.y), stroke: s.colour, "data-series": i,
        "stroke-dasharray": s.dashed ? "6 4" : null
      }));
      if (s.x.length <= MARKED) {  // few points: show where each one is
        s.x.forEach(function (x, j) {
          if (!usable(s.y[j])) return;
          svg.appendChild(D.svg("circle", { "class": "hyper-marker", cx: X(x).toFixed(2),
            cy: Y(s.y[j]).toFixed(2), r: 2.5, fill: s.colour }));
        });
      }
    });
  }

  function legend() {
    var box = document.getElementById("hyper-legend");
    series.forEach(function (s) {
      var item = D.el("span", { "class": "dia-legend-item" });
      var swatch = D.el("span", { "class": "hyper-swatch" + (s.dashed ? " is-dashed" : "") });
      swatch.style.borderTopColor = s.colour;
      item.appendChild(swatch);
      item.appendChild(D.el("span", null, s.name));
      box.appendChild(item);
    });
  }

  function nearestIndex(xsv, v) {
    var lo = 0, hi = xsv.length - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (xsv[mid] < v) lo = mid; else hi = mid;
    }
    return Math.abs(xsv[lo] - v) <= Math.abs(xsv[hi] - v) ? lo : hi;
  }

  var guide = D.svg("line", { "class": "hyper-guide", y1: M.top, y2: H - M.bottom, visibility: "hidden" });
  var dots = series.map(function (s, i) {
    return D.svg("circle", { "class": "hyper-dot", r: 4, fill: s.colour, visibility: "hidden", "data-series": i });
  });
  var current = -1;

  function xText(v) { return data.integerX ? String(Math.round(v)) : D.fmt(v, 4); }
  function readout(k) {
    var x = allX[k];
    var out = [{ text: data.xlabel + " " + xText(x), head: true }];
    series.forEach(function (s, i) {
      var j = nearestIndex(s.x, x);
      var v = s.y[j];
      var text = s.name + ": " + D.fmt(v, 4);
      if (s.lo && s.hi && usable(s.lo[j])) text += "  (quartiles " + D.fmt(s.lo[j], 3) + " – " + D.fmt(s.hi[j], 3) + ")";
      out.push({ text: text, mono: true });
      if (usable(v)) {
        dots[i].setAttribute("cx", X(s.x[j]).toFixed(2));
        dots[i].setAttribute("cy", Y(v).toFixed(2));
        dots[i].setAttribute("visibility", "visible");
      } else {
        dots[i].setAttribute("visibility", "hidden");
      }
    });
    return out;
  }
  function select(k, event) {
    current = Math.max(0, Math.min(allX.length - 1, k));
    guide.setAttribute("x1", X(allX[current]).toFixed(2));
    guide.setAttribute("x2", X(allX[current]).toFixed(2));
    guide.setAttribute("visibility", "visible");
    guide.setAttribute("data-i", current);
    D.tooltip.show(readout(current), event || { target: guide });
  }
  function hide() {
    guide.setAttribute("visibility", "hidden");
    dots.forEach(function (d) { d.setAttribute("visibility", "hidden"); });
    D.tooltip.hide();
  }

  axes();
  lines();
  legend();
  svg.appendChild(guide);
  dots.forEach(function (d) { svg.appendChild(d); });

  svg.addEventListener("mousemove", function (event) {
    var box = svg.getBoundingClientRect();
    var px = (event.clientX - box.left) * W / box.width;
    if (px < M.left - 8 || px > W - M.right + 8) { hide(); return; }
    var v = xr[0] + (px - M.left) / (W - M.left - M.right) * (xr[1] - xr[0]);
    select(nearestIndex(allX, v), event);
  });
  svg.addEventListener("mouseleave", hide);
  svg.addEventListener("focus", function () { select(current < 0 ? 0 : current); });
  svg.addEventListener("blur", hide);
  svg.addEventListener("keydown", function (event) {
    var moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageDown: 10, PageUp: -10 };
    if (event.key in moves) select(current + moves[event.key]);
    else if (event.key === "Home") select(0);
    else if (event.key === "End") select(allX.length - 1);
    else return;
    event.preventDefault();
  });
})();
