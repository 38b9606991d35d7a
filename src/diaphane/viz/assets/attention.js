/* Attention, rollout and flow: a tokens x tokens matrix and the same numbers as lines. */
"use strict";
(function (D, L) {
  var d = D.data();
  var n = d.tokens.length, nLayers = d.attentions.length, nHeads = d.attentions[0].length;
  var view = document.getElementById("att-view");
  var layerSel = document.getElementById("att-layer");
  var headSel = document.getElementById("att-head");
  var ROW = 22, GAP = 150;

  function masked(i, j) { return d.causal && j > i; }

  function options() {
    for (var l = 0; l < nLayers; l++) {
      layerSel.appendChild(D.el("option", { value: l }, String(l + 1)));
    }
    headSel.appendChild(D.el("option", { value: "mean" }, "mean of heads"));
    for (var h = 0; h < nHeads; h++) headSel.appendChild(D.el("option", { value: h }, String(h)));
    view.value = d.view;
    layerSel.value = String(d.layer);
    headSel.value = String(d.head);
  }

  function current() {
    var l = Number(layerSel.value), v = view.value, h = headSel.value;
    headSel.disabled = v !== "attention";
    if (v === "rollout") return d.rollout[l];
    if (v === "flow") return d.flow[l];
    if (h !== "mean") return d.attentions[l][Number(h)];
    var heads = d.attentions[l];
    return heads[0].map(function (row, i) {
      return row.map(function (_, j) {
        var s = 0;
        for (var k = 0; k < nHeads; k++) s += heads[k][i][j];
        return s / nHeads;
      });
    });
  }

  function describe() {
    var l = Number(layerSel.value) + 1;
    if (view.value === "attention") {
      return "attention, layer " + l + ", " +
        (headSel.value === "mean" ? "mean of heads" : "head " + headSel.value);
    }
    return view.value + " through layer " + l;
  }

  function maxOf(m) {
    var top = 0;
    m.forEach(function (row) { row.forEach(function (v) { top = Math.max(top, v); }); });
    return top || 1;
  }

  function cellLines(m, i, j) {
    var head = { text: "position " + i + " " + L.quoted(d.tokens[i]) + " \u2192 " + j + " " +
      L.quoted(d.tokens[j]), head: true };
    if (masked(i, j)) return [head, "masked: a token cannot attend to a later one"];
    return [head, describe() + ": " + D.fmt(m[i][j])];
  }

  function buildMatrix(m, top) {
    var table = document.getElementById("att-matrix");
    table.replaceChildren();
    var head = D.el("tr");
    head.appendChild(D.el("th"));
    d.tokens.forEach(function (tok) { head.appendChild(D.el("th", { scope: "col" }, L.display(tok))); });
    table.appendChild(D.el("thead")).appendChild(head);
    var body = table.appendChild(D.el("tbody"));
    m.forEach(function (row, i) {
      var tr = body.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", { scope: "row" }, L.display(d.tokens[i])));
      row.forEach(function (v, j) {
        var off = masked(i, j);
        var td = D.el("td", {
          "class": "att-cell" + (off ? " att-masked" : ""), id: "att-cell-" + i + "-" + j,
          tabindex: 0
        }, off || n > 16 ? null : D.fmt(v, 2));
        if (!off) {
          var bg = L.blues(v / top);
          td.style.background = bg;
          td.style.color = D.textColor(bg);
        }
        D.attachTooltip(td, function () { return cellLines(m, i, j); });
        tr.appendChild(td);
      });
    });
  }

  function wordLines(m, i) {
    var order = m[i].map(function (v, j) { return [v, j]; })
      .sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; }).slice(0, 5);
    var out = [{ text: L.quoted(d.tokens[i]) + " (position " + i + ") draws on:", head: true }];
    order.forEach(function (p) {
      out.push({ text: L.quoted(d.tokens[p[1]]) + "  " + D.fmt(p[0]), mono: true });
    });
    return out;
  }

  function focusWord(i) {
    document.querySelectorAll(".att-line").forEach(function (line) {
      var on = i === null || Number(line.getAttribute("data-from")) === i;
      line.setAttribute("visibility", on ? "visible" : "hidden");
    });
    document.querySelectorAll(".att-word-left").forEach(function (w, k) {
      w.classList.toggle("att-word-on", k === i);
    });
  }

  function buildLines(m, top) {
    var svg = document.getElementById("att-lines");
    svg.replaceChildren();
    var longest = 4;
    d.tokens.forEach(function (t) { longest = Math.max(longest, L.display(t).length); });
    var side = Math.min(180, 8 * longest + 10), width = 2 * side + GAP;
    svg.setAttribute("width", width);
    svg.setAttribute("height", n * ROW + 24);
    svg.appendChild(D.svg("text", { x: side, y: 12, "text-anchor": "end" }, "output"));
    svg.appendChild(D.svg("text", { x: side + GAP, y: 12 }, "input"));
    var lines = svg.appendChild(D.svg("g"));
    m.forEach(function (row, i) {
      row.forEach(function (v, j) {
        if (masked(i, j) || v < 0.01 * top) return;
        lines.appendChild(D.svg("line", {
          "class": "att-line", "data-from": i, "data-to": j,
          x1: side + 4, y1: 24 + i * ROW + ROW / 2, x2: side + GAP - 4, y2: 24 + j * ROW + ROW / 2,
          stroke: "rgb(33,113,181)", "stroke-width": (0.5 + 4 * v / top).toFixed(2),
          "stroke-opacity": (0.15 + 0.85 * v / top).toFixed(3)
        }));
      });
    });
    d.tokens.forEach(function (tok, i) {
      var y = 24 + i * ROW + ROW / 2 + 4;
      var left = D.svg("text", {
        "class": "att-word att-word-left", id: "att-word-" + i, x: side, y: y,
        "text-anchor": "end", tabindex: 0
      }, L.display(tok));
      D.attachTooltip(left, function () { return wordLines(m, i); });
      left.addEventListener("mouseenter", function () { focusWord(i); });
      left.addEventListener("mouseleave", function () { focusWord(null); });
      svg.appendChild(left);
      svg.appendChild(D.svg("text", { "class": "att-word", x: side + GAP, y: y }, L.display(tok)));
    });
  }

  function buildScale(top) {
    var scale = document.getElementById("att-scale");
    scale.replaceChildren();
    var stops = [];
    for (var t = 0; t <= 1.0001; t += 0.25) stops.push(L.blues(t));
    var bar = D.el("span", { "class": "lens-scale-bar" });
    bar.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    scale.appendChild(D.el("span", null, "0"));
    scale.appendChild(bar);
    scale.appendChild(D.el("span", null, D.fmt(top) + " (" + describe() + ")"));
  }

  function draw() {
    var m = current(), top = maxOf(m);
    buildMatrix(m, top);
    buildLines(m, top);
    buildScale(top);
  }

  options();
  [view, layerSel, headSel].forEach(function (s) { s.addEventListener("change", draw); });
  draw();
})(window.Diaphane, window.Lens);
