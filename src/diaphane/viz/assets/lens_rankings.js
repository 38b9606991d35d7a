/* Logit lens: a rank heat map per target (layers x positions) and a per-layer top-k table. */
"use strict";
(function (D, L) {
  var d = D.data();
  var nLayers = d.layerNames.length, n = d.tokens.length, k = d.topkTokens[0][0].length;
  var logV = Math.log(Math.max(2, d.vocabSize));
  var selected = d.position;

  function rankColor(rank) {
    return rank === null ? null : L.blues(1 - Math.log(rank) / logV);
  }

  function topkLines(layer, pos) {
    var lines = [{ text: "top " + k + " at this layer:", head: true }];
    d.topkTokens[layer][pos].forEach(function (tok, i) {
      lines.push({
        text: (i + 1) + ". " + L.quoted(tok) + "  " + D.fmt(d.topkProbs[layer][pos][i]),
        mono: true
      });
    });
    return lines;
  }

  function cellLines(p, layer, pos) {
    var rank = d.ranks[p][layer][pos];
    var lines = [
      { text: "layer " + d.layerNames[layer] + ", position " + pos + " (" +
        L.quoted(d.tokens[pos]) + ")", head: true }
    ];
    if (rank === null) {
      lines.push("no next token after the last position");
      return lines;
    }
    lines.push("target " + L.quoted(d.targets[p][pos]) + " (" + d.labels[p] + ")");
    lines.push("rank " + rank + " of " + d.vocabSize);
    lines.push("probability " + D.fmt(d.probs[p][layer][pos]));
    return lines.concat(topkLines(layer, pos));
  }

  function select(pos) {
    selected = pos;
    document.querySelectorAll(".rk-selected").forEach(function (e) {
      e.classList.remove("rk-selected");
    });
    document.querySelectorAll(".rk-col-" + pos).forEach(function (e) {
      e.classList.add("rk-selected");
    });
    buildTopk();
  }

  function header(p) {
    var tr = D.el("tr");
    tr.appendChild(D.el("th", { scope: "col" }));
    d.tokens.forEach(function (tok, j) {
      var th = D.el("th", {
        scope: "col", "class": "lens-tok rk-col-" + j, id: "rk-col-" + p + "-" + j,
        title: "position " + j + ": click for its top-" + k + " table"
      }, L.display(tok));
      th.addEventListener("click", function () { select(j); });
      tr.appendChild(th);
    });
    return tr;
  }

  function cell(p, layer, pos) {
    var rank = d.ranks[p][layer][pos], bg = rankColor(rank);
    var td = D.el("td", {
      "class": "rk-cell rk-col-" + pos + (rank === null ? " rk-empty" : ""),
      id: "rk-cell-" + p + "-" + layer + "-" + pos, tabindex: 0,
      "data-rank": rank === null ? "" : rank
    }, rank === null ? "" : rank);
    if (bg) {
      td.style.background = bg;
      td.style.color = D.textColor(bg);
    }
    D.attachTooltip(td, function () { return cellLines(p, layer, pos); });
    td.addEventListener("click", function () { select(pos); });
    return td;
  }

  function buildPanels() {
    var host = document.getElementById("rk-panels");
    d.labels.forEach(function (label, p) {
      var section = host.appendChild(D.el("section", { "class": "rk-panel", id: "rk-panel-" + p }));
      section.appendChild(D.el("h2", null, label));
      var table = section.appendChild(D.el("table", { "class": "rk-table" }));
      table.appendChild(D.el("thead")).appendChild(header(p));
      var body = table.appendChild(D.el("tbody"));
      for (var layer = 0; layer < nLayers; layer++) {
        var tr = body.appendChild(D.el("tr"));
        tr.appendChild(D.el("th", { scope: "row" }, d.layerNames[layer]));
        for (var pos = 0; pos < n; pos++) tr.appendChild(cell(p, layer, pos));
      }
    });
  }

  function buildScale() {
    var scale = document.getElementById("rk-scale");
    var stops = [];
    for (var t = 0; t <= 1.0001; t += 0.125) stops.push(L.blues(1 - t));
    var bar = D.el("span", { "class": "lens-scale-bar" });
    bar.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    scale.appendChild(D.el("span", null, "rank 1"));
    scale.appendChild(bar);
    scale.appendChild(D.el("span", null, String(d.vocabSize) + " (log scale)"));
  }

  // Tokens that are some panel's target at this position are outlined in the table.
  function buildTopk() {
    var pos = selected;
    document.getElementById("rk-topk-title").textContent = "Top " + k +
      " predictions per layer at position " + pos + " (" + L.quoted(d.tokens[pos]) + ")";
    var table = document.getElementById("rk-topk");
    table.replaceChildren();
    var head = D.el("tr");
    head.appendChild(D.el("th", { scope: "col" }, "layer"));
    for (var i = 0; i < k; i++) head.appendChild(D.el("th", { scope: "col" }, "#" + (i + 1)));
    table.appendChild(D.el("thead")).appendChild(head);
    var targets = d.targets.map(function (t) { return t[pos]; });
    var body = table.appendChild(D.el("tbody"));
    for (var layer = 0; layer < nLayers; layer++) {
      var tr = body.appendChild(D.el("tr"));
      tr.appendChild(D.el("th", { scope: "row" }, d.layerNames[layer]));
      d.topkTokens[layer][pos].forEach(function (tok, i) {
        var prob = d.topkProbs[layer][pos][i];
        var bg = L.blues(Math.sqrt(prob));
        var td = D.el("td", {
          "class": "rk-topk-cell" + (targets.indexOf(tok) >= 0 ? " rk-hit" : ""),
          id: "rk-topk-" + layer + "-" + i
        });
        td.appendChild(D.el("span", { "class": "lens-tok" }, L.display(tok)));
        td.appendChild(D.el("span", { "class": "rk-prob" }, D.fmt(prob, 3)));
        td.style.background = bg;
        td.style.color = D.textColor(bg);
        tr.appendChild(td);
      });
    }
  }

  buildPanels();
  buildScale();
  select(selected);
})(window.Diaphane, window.Lens);
