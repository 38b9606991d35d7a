/* diaphane next-word figure: each model's likeliest next words after a context.
 *
 * Data: {models: [name...], colours: [css...], countLabel,
 *        contexts: [{context: [words], seen: int|null, note,
 *                    columns: [[{w, p, c: int|null}, ...] per model]}]}.
 * The select (or the keys [ and ]) switches the context; hovering or focusing a bar shows
 * p and the count of the context followed by that word, and marks the same word in every
 * column. Words are text only.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var select = document.getElementById("nw-context");
  var holder = document.getElementById("nw-columns");
  var ROW = 24, LABEL = 140, BAR = 230, WIDTH = LABEL + BAR + 70;

  function times(n) { return n === 1 ? "once" : n + " times"; }

  data.contexts.forEach(function (c, i) {
    var label = c.context.join(" ") + " ___";
    if (c.seen !== null) label += "  (" + times(c.seen) + ")";
    select.appendChild(D.el("option", { value: i }, label));
  });

  function link(word, on) {
    holder.querySelectorAll(".nw-bar").forEach(function (g) {
      g.classList.toggle("is-linked", on && g.dataset.word === word);
    });
  }

  function lines(c, m, r, rank) {
    var out = [{ text: r.w, head: true, mono: true },
      data.models[m] + ": p = " + D.fmt(r.p) + " (rank " + rank + ")"];
    if (r.c !== null) {
      out.push({ text: "“" + c.context.concat([r.w]).join(" ") + "”", mono: true });
      out.push(times(r.c) + " " + data.countLabel);
    }
    return out;
  }

  function bar(c, m, r, j, scale) {
    var y = j * ROW;
    var g = D.svg("g", { "class": "nw-bar", tabindex: 0, "data-word": r.w, "data-p": r.p,
      "aria-label": r.w + ", p " + D.fmt(r.p) });
    g.appendChild(D.svg("rect", { "class": "nw-back", x: 0, y: y + 1, width: WIDTH,
      height: ROW - 2, rx: 3 }));
    g.appendChild(D.svg("text", { "class": "nw-word", x: LABEL - 8, y: y + ROW / 2 + 4,
      "text-anchor": "end" }, r.w.length > 18 ? r.w.slice(0, 17) + "…" : r.w));
    var w = Math.max(1, BAR * r.p / scale);
    g.appendChild(D.svg("rect", { "class": "nw-fill", x: LABEL, y: y + 4, width: w,
      height: ROW - 8, fill: data.colours[m] }));
    g.appendChild(D.svg("text", { "class": "nw-value", x: LABEL + w + 6, y: y + ROW / 2 + 4 },
      D.fmt(r.p, 3)));
    D.attachTooltip(g, function () { return lines(c, m, r, j + 1); });
    g.addEventListener("mouseenter", function () { link(r.w, true); });
    g.addEventListener("focus", function () { link(r.w, true); });
    g.addEventListener("mouseleave", function () { link(r.w, false); });
    g.addEventListener("blur", function () { link(r.w, false); });
    return g;
  }

  function column(c, m, scale) {
    var rows = c.columns[m];
    var box = D.el("section", { "class": "nw-column", "data-model": m });
    box.appendChild(D.el("h2", { style: "color:" + data.colours[m] }, data.models[m]));
    var height = Math.max(ROW, rows.length * ROW);
    var svg = D.svg("svg", { viewBox: "0 0 " + WIDTH + " " + height, width: WIDTH,
      height: height, "aria-label": data.models[m] + ": likeliest next words" });
    rows.forEach(function (r, j) { svg.appendChild(bar(c, m, r, j, scale)); });
    box.appendChild(svg);
    return box;
  }

  function show(i) {
    var c = data.contexts[i];
    select.value = String(i);
    var scale = 0;
    c.columns.forEach(function (col) { col.forEach(function (r) { scale = Math.max(scale, r.p); }); });
    scale = scale || 1;
    D.tooltip.hide();
    holder.replaceChildren();
    c.columns.forEach(function (_, m) { holder.appendChild(column(c, m, scale)); });
    document.getElementById("nw-seen").textContent = c.seen === null ? "" :
      "“" + c.context.join(" ") + "” occurs " + times(c.seen) + " " + data.countLabel;
    document.getElementById("nw-note").textContent = c.note || "";
  }

  select.addEventListener("change", function () { show(Number(select.value)); });
  document.addEventListener("keydown", function (event) {
    var step = { "[": -1, "]": 1 }[event.key];
    if (!step) return;
    var n = data.contexts.length;
    show((Number(select.value) + step + n) % n);
  });
  show(0);
})();
