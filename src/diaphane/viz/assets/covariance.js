/* Covariance explainer: the matrix, the data beside it, and the sum behind each cell. */
"use strict";
(function (D) {
  var d = D.data();
  var n = d.varNames.length;
  var nObs = d.obsNames.length;
  var MAX_DATA_COLS = 60;
  var maxAbs = 0;
  d.cov.forEach(function (row) {
    row.forEach(function (v) { maxAbs = Math.max(maxAbs, Math.abs(v)); });
  });
  if (maxAbs === 0) maxAbs = 1;

  // A negative mean is bracketed, so "x - (-0.5)" never reads as "x - -0.5".
  function sub(x, m) {
    return "(" + D.fmt(x) + " \u2212 " + (m < 0 ? "(" + D.fmt(m) + ")" : D.fmt(m)) + ")";
  }

  function sumTerms(i, j) {
    var a = d.variables[i], b = d.variables[j], ma = d.means[i], mb = d.means[j];
    var terms = [], total = 0;
    for (var k = 0; k < nObs; k++) {
      total += (a[k] - ma) * (b[k] - mb);
      if (k < d.maxTerms) {
        terms.push(i === j ? sub(a[k], ma) + "\u00b2" : sub(a[k], ma) + sub(b[k], mb));
      }
    }
    var shown = terms.join(" + ");
    if (nObs > d.maxTerms) shown += " + \u2026 (" + nObs + " terms)";
    return { text: shown, total: total };
  }

  function tooltipLines(i, j) {
    var a = d.varNames[i], b = d.varNames[j], c = d.cov[i][j];
    var s = sumTerms(i, j);
    var lines = [];
    if (i === j) {
      lines.push({ text: "var(" + a + ") = cov(" + a + ", " + a + ") = " + D.fmt(c), head: true });
      lines.push("a = " + a + " (" + d.axis + " " + i + " of the data), mean \u0101 = " +
        D.fmt(d.means[i]));
      lines.push({ text: "var(a) = \u03a3(a\u2096 \u2212 \u0101)\u00b2 / (n \u2212 1)", mono: true });
    } else {
      lines.push({ text: "cov(" + a + ", " + b + ") = " + D.fmt(c), head: true });
      lines.push("a = " + a + " (" + d.axis + " " + i + " of the data), mean \u0101 = " +
        D.fmt(d.means[i]));
      lines.push("b = " + b + " (" + d.axis + " " + j + " of the data), mean b\u0304 = " +
        D.fmt(d.means[j]));
      lines.push({
        text: "cov(a, b) = \u03a3(a\u2096 \u2212 \u0101)(b\u2096 \u2212 b\u0304) / (n \u2212 1)",
        mono: true
      });
    }
    lines.push({ text: "= [" + s.text + "] / (" + nObs + " \u2212 1)", mono: true });
    lines.push({ text: "= " + D.fmt(s.total) + " / " + (nObs - 1) + " = " + D.fmt(c), mono: true });
    return lines;
  }

  function highlight(i, j, on) {
    document.querySelectorAll(".cov-label-" + i + ", .cov-label-" + j).forEach(function (e) {
      e.classList.toggle("cov-label-on", on);
    });
    document.querySelectorAll(".cov-var-" + i).forEach(function (e) {
      e.classList.toggle("hl-a", on);
    });
    document.querySelectorAll(".cov-var-" + j).forEach(function (e) {
      e.classList.toggle("hl-b", on);
    });
  }

  function cell(i, j) {
    var v = d.cov[i][j];
    var bg = D.diverging(v / maxAbs);
    var td = D.el("td", {
      "class": "cov-cell" + (i === j ? " cov-diag" : ""),
      id: "cov-cell-" + i + "-" + j,
      "data-i": i, "data-j": j, tabindex: 0,
      "aria-label": (i === j ? "variance of " + d.varNames[i]
        : "covariance of " + d.varNames[i] + " and " + d.varNames[j]) + ": " + D.fmt(v)
    }, n <= 12 ? D.fmt(v, 3) : null);
    td.style.background = bg;
    td.style.color = D.textColor(bg);
    if (i === j && n <= 12) td.appendChild(D.el("span", { "class": "cov-var-tag" }, "var"));
    D.attachTooltip(td, function () { return tooltipLines(i, j); });
    ["mouseenter", "focus"].forEach(function (ev) {
      td.addEventListener(ev, function () { highlight(i, j, true); });
    });
    ["mouseleave", "blur"].forEach(function (ev) {
      td.addEventListener(ev, function () { highlight(i, j, false); });
    });
    return td;
  }

  function buildMatrix() {
    var table = document.getElementById("cov-matrix");
    var head = D.el("tr");
    head.appendChild(D.el("th"));
    d.varNames.forEach(function (name, j) {
      var th = D.el("th", { scope: "col", "class": "cov-label cov-label-" + j, title: name });
      th.appendChild(D.el("span", { "class": "cov-collabel" }, name));
      head.appendChild(th);
    });
    table.appendChild(D.el("thead")).appendChild(head);
    var body = table.appendChild(D.el("tbody"));
    for (var i = 0; i < n; i++) {
      var tr = body.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", { scope: "row", "class": "cov-label cov-label-" + i },
        d.varNames[i]));
      for (var j = 0; j < n; j++) tr.appendChild(cell(i, j));
    }
  }

  function buildScale() {
    var scale = document.getElementById("cov-scale");
    var stops = [];
    for (var t = -1; t <= 1.0001; t += 0.25) stops.push(D.diverging(t));
    var bar = D.el("span", { "class": "cov-scale-bar" });
    bar.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    scale.appendChild(D.el("span", null, D.fmt(-maxAbs)));
    scale.appendChild(bar);
    scale.appendChild(D.el("span", null, D.fmt(maxAbs)));
    scale.appendChild(D.el("span", { "class": "dia-note" }, "(0 is white)"));
  }

  // The data as the user gave it: variables are rows (rowvar) or columns, with their means.
  function buildData() {
    var table = document.getElementById("cov-data");
    var shownObs = Math.min(nObs, MAX_DATA_COLS);
    var rowNames = d.rowvar ? d.varNames : d.obsNames.slice(0, shownObs);
    var colNames = d.rowvar ? d.obsNames.slice(0, shownObs) : d.varNames;
    var head = D.el("tr");
    head.appendChild(D.el("th"));
    colNames.forEach(function (name, c) {
      head.appendChild(D.el("th", { scope: "col", "class": d.rowvar ? "" : "cov-var-" + c },
        name));
    });
    if (d.rowvar) head.appendChild(D.el("th", { "class": "cov-mean" }, "mean"));
    if (d.rowvar && nObs > shownObs) head.appendChild(D.el("th", null, "\u2026"));
    table.appendChild(D.el("thead")).appendChild(head);
    var body = table.appendChild(D.el("tbody"));
    rowNames.forEach(function (name, r) {
      var tr = body.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", { scope: "row", "class": d.rowvar ? "cov-var-" + r : "" },
        name));
      colNames.forEach(function (_, c) {
        var v = d.rowvar ? d.variables[r][c] : d.variables[c][r];
        tr.appendChild(D.el("td", { "class": "cov-var-" + (d.rowvar ? r : c) }, D.fmt(v)));
      });
      if (d.rowvar) {
        tr.appendChild(D.el("td", { "class": "cov-mean cov-var-" + r }, D.fmt(d.means[r])));
      }
    });
    if (!d.rowvar) {
      var tr = body.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", { scope: "row", "class": "cov-mean" }, "mean"));
      d.means.forEach(function (m, c) {
        tr.appendChild(D.el("td", { "class": "cov-mean cov-var-" + c }, D.fmt(m)));
      });
    }
  }

  buildMatrix();
  buildScale();
  buildData();
})(window.Diaphane);
