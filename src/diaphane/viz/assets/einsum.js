/* Einsum explainer: letter highlighting and the worked example's grids. */
"use strict";
(function (D) {
  var d = D.data();
  var ex = d.example;
  var MAX_BLOCKS = 12;

  // Hovering a letter anywhere lights it up everywhere.
  function letterHighlight(n, on) {
    document.querySelectorAll(".ein-l-" + n).forEach(function (e) {
      e.classList.toggle("ein-hl", on);
    });
  }
  document.querySelectorAll("[data-letter]").forEach(function (node) {
    var n = node.getAttribute("data-letter");
    node.addEventListener("mouseenter", function () { letterHighlight(n, true); });
    node.addEventListener("mouseleave", function () { letterHighlight(n, false); });
  });

  function strides(shape) {
    var s = new Array(shape.length), acc = 1;
    for (var a = shape.length - 1; a >= 0; a--) { s[a] = acc; acc *= shape[a]; }
    return s;
  }

  function indices(shape) {
    var out = [[]];
    shape.forEach(function (n) {
      var next = [];
      out.forEach(function (prefix) {
        for (var i = 0; i < n; i++) next.push(prefix.concat([i]));
      });
      out = next;
    });
    return out;
  }

  // One 2-D grid of the array: rows over the second-to-last axis, columns over the last.
  function grid(arr, lead, cellClass, decorate) {
    var shape = arr.shape, nd = shape.length, st = strides(shape);
    var rows = nd >= 2 ? shape[nd - 2] : 1, cols = nd >= 1 ? shape[nd - 1] : 1;
    var base = lead.reduce(function (acc, i, a) { return acc + i * st[a]; }, 0);
    var table = D.el("table", { "class": "ein-grid" });
    var rowLetter = nd >= 2 ? arr.letters[nd - 2] : null;
    var colLetter = nd >= 1 ? arr.letters[nd - 1] : null;
    var head = table.appendChild(D.el("tr"));
    head.appendChild(D.el("th"));
    for (var c = 0; c < cols; c++) head.appendChild(D.el("th", null, colLetter ? colLetter + "=" + c : ""));
    for (var r = 0; r < rows; r++) {
      var tr = table.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", null, rowLetter ? rowLetter + "=" + r : ""));
      for (c = 0; c < cols; c++) {
        var flat = base + r * (nd >= 2 ? st[nd - 2] : 0) + c * (nd >= 1 ? st[nd - 1] : 0);
        var td = D.el("td", { "class": cellClass, "data-flat": flat }, D.fmt(arr.values[flat]));
        if (decorate) decorate(td, flat);
        tr.appendChild(td);
      }
    }
    return table;
  }

  function arrayView(arr, cellClass, decorate) {
    var box = D.el("div", { "class": "ein-array", id: "ein-array-" + arr.name });
    var label = arr.letters.length ? arr.name + "[" + arr.letters.join(", ") + "]" : arr.name;
    box.appendChild(D.el("div", { "class": "ein-array-name" },
      label + "  shape (" + arr.shape.join(", ") + (arr.shape.length === 1 ? ",)" : ")")));
    var lead = arr.shape.slice(0, Math.max(0, arr.shape.length - 2));
    var blocks = indices(lead);
    blocks.slice(0, MAX_BLOCKS).forEach(function (idx) {
      if (idx.length) {
        var where = idx.map(function (i, a) { return arr.letters[a] + "=" + i; }).join(", ");
        box.appendChild(D.el("div", { "class": "ein-block-caption" }, where));
      }
      box.appendChild(grid(arr, idx, cellClass, decorate));
    });
    if (blocks.length > MAX_BLOCKS) {
      box.appendChild(D.el("div", { "class": "ein-block-caption" },
        "\u2026 " + (blocks.length - MAX_BLOCKS) + " more blocks"));
    }
    return box;
  }

  function showSources(cell, on) {
    cell.sources.forEach(function (flats, k) {
      var box = document.getElementById("ein-array-" + ex.operands[k].name);
      flats.forEach(function (f) {
        box.querySelectorAll('td[data-flat="' + f + '"]').forEach(function (td) {
          td.classList.toggle("ein-src", on);
        });
      });
    });
  }

  function decorateOut(td, flat) {
    var cell = ex.cells[flat];
    td.id = "ein-out-" + flat;
    if (!cell) return;
    td.setAttribute("tabindex", "0");
    D.attachTooltip(td, function () {
      return cell.lines.map(function (t, i) { return { text: t, head: i === 0, mono: i > 0 }; });
    });
    ["mouseenter", "focus"].forEach(function (ev) {
      td.addEventListener(ev, function () { showSources(cell, true); });
    });
    ["mouseleave", "blur"].forEach(function (ev) {
      td.addEventListener(ev, function () { showSources(cell, false); });
    });
  }

  var host = document.getElementById("ein-example");
  ex.operands.forEach(function (op, k) {
    if (k) host.appendChild(D.el("span", { "class": "ein-arrow" }, ","));
    host.appendChild(arrayView(op, "ein-in-cell"));
  });
  host.appendChild(D.el("span", { "class": "ein-arrow" }, "\u2192"));
  var out = { name: "out", letters: ex.output.letters, shape: ex.output.shape,
    values: ex.output.values };
  host.appendChild(arrayView(out, "ein-out-cell", decorateOut));
})(window.Diaphane);
