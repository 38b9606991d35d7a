/* diaphane masked-LM examples: one sentence masked BERT's way and SpanBERT's way, and the
 * span-length histogram (measured bars, theoretical dots).
 *
 * Data: {mask_token, samples: [{original: [...], bert: {tokens, actions, spans},
 *        span: {tokens, actions, spans}}], hist: {lengths, counts, measured, theory,
 *        measured_mean, theory_mean, spans, passages}, actions: {mask, random, keep}, colours}
 * actions[i] is null for a token not chosen. Words reach the DOM only through textContent.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var select = document.getElementById("mask-sample");
  var current = 0;

  function preview(words) {
    var text = words.slice(0, 8).join(" ");
    return text.length > 60 ? text.slice(0, 59) + "…" : text + (words.length > 8 ? " …" : "");
  }
  data.samples.forEach(function (s, i) {
    select.appendChild(D.el("option", { value: i }, (i + 1) + ": " + preview(s.original)));
  });

  function spanOf(spans, i) {
    for (var k = 0; k < spans.length; k++) if (i >= spans[k][0] && i < spans[k][1]) return k;
    return -1;
  }

  function tipLines(original, row, i, withSpans) {
    var act = row.actions[i];
    var lines = [{ text: row.tokens[i], head: true }];
    lines.push({ text: "position " + (i + 1) + " of " + original.length, mono: true });
    if (act === null) {
      lines.push({ text: "not chosen: the model reads it as it is" });
      return lines;
    }
    lines.push({ text: "original word: " + original[i], mono: true });
    lines.push({ text: data.actions[act] });
    if (withSpans) {
      var k = spanOf(row.spans, i), sp = row.spans[k];
      var where = sp[1] - sp[0] === 1 ? "word " + sp[1] : "words " + (sp[0] + 1) + "–" + sp[1];
      lines.push({ text: "span " + (k + 1) + " of " + row.spans.length + ": " + where +
        ", length " + (sp[1] - sp[0]), mono: true });
    }
    lines.push({ text: "the model must predict \u201c" + original[i] + "\u201d here" });
    return lines;
  }

  function token(original, row, i, withSpans) {
    var act = row.actions[i];
    var box = D.el("span", {
      "class": "mask-token" + (act ? " is-" + act : ""), "data-i": i,
      tabindex: act ? 0 : null
    }, row.tokens[i]);
    D.attachTooltip(box, function () { return tipLines(original, row, i, withSpans); });
    return box;
  }

  function summary(row, n) {
    var c = { mask: 0, random: 0, keep: 0 }, chosen = 0;
    row.actions.forEach(function (a) { if (a) { c[a] += 1; chosen += 1; } });
    var text = chosen + " of " + n + " words chosen (" + D.fmt(100 * chosen / n, 3) + "%): " +
      c.mask + " [MASK], " + c.random + " random, " + c.keep + " kept";
    if (row.spans.length && row.spans.some(function (s) { return s[1] - s[0] > 1; })) {
      text += "; " + row.spans.length + " span" + (row.spans.length === 1 ? "" : "s") +
        " of length " + row.spans.map(function (s) { return s[1] - s[0]; }).join(", ");
    }
    return text;
  }

  function drawRow(id, original, row, withSpans) {
    var section = document.getElementById(id);
    var strip = section.querySelector(".mask-strip");
    strip.replaceChildren();
    var i = 0;
    while (i < original.length) {
      var k = withSpans ? spanOf(row.spans, i) : -1;
      if (k >= 0) {
        var group = D.el("span", { "class": "mask-span", "data-span": k });
        for (var j = row.spans[k][0]; j < row.spans[k][1]; j++) {
          group.appendChild(token(original, row, j, true));
        }
        strip.appendChild(group);
        i = row.spans[k][1];
      } else {
        strip.appendChild(token(original, row, i, withSpans));
        i += 1;
      }
    }
    section.querySelector(".mask-summary").textContent = summary(row, original.length);
  }

  function show(i) {
    current = (i + data.samples.length) % data.samples.length;
    var s = data.samples[current];
    select.value = String(current);
    D.tooltip.hide();
    drawRow("mask-bert", s.original, s.bert, false);
    drawRow("mask-span", s.original, s.span, true);
  }

  function histogram() {
    var h = data.hist, W = 640, H = 280, M = { left: 54, right: 16, top: 12, bottom: 40 };
    var top = Math.max.apply(null, h.measured.concat(h.theory)) * 1.1;
    var n = h.lengths.length, bw = (W - M.left - M.right) / n;
    var X = function (k) { return M.left + (k - 0.5) * bw; };
    var Y = function (v) { return H - M.bottom - (v / top) * (H - M.top - M.bottom); };
    var svg = D.svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
      "aria-label": "span lengths: measured shares as bars, the clipped geometric as dots" });
    var axis = D.svg("g", { "class": "mask-axis" });
    axis.appendChild(D.svg("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
    var step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5].filter(function (s) { return top / s <= 6; })[0];
    for (var v = 0; v <= top + 1e-12; v += step) {
      var y = Y(v);
      axis.appendChild(D.svg("line", { x1: M.left - 4, x2: M.left, y1: y, y2: y }));
      axis.appendChild(D.svg("text", { x: M.left - 6, y: y + 4, "text-anchor": "end" },
        Math.round(100 * v) + "%"));
    }
    h.lengths.forEach(function (k) {
      axis.appendChild(D.svg("text", { x: X(k), y: H - M.bottom + 15, "text-anchor": "middle" }, k));
    });
    axis.appendChild(D.svg("text", { x: (M.left + W - M.right) / 2, y: H - 6, "text-anchor": "middle" },
      "span length (words)"));
    svg.appendChild(axis);
    h.lengths.forEach(function (k, i) {
      var bar = D.svg("rect", {
        "class": "mask-bar", x: X(k) - bw * 0.38, width: bw * 0.76, y: Y(h.measured[i]),
        height: Math.max(0, H - M.bottom - Y(h.measured[i])), fill: data.colours.measured,
        "fill-opacity": 0.8, tabindex: 0, "data-k": k
      });
      D.attachTooltip(bar, function () {
        return [
          { text: "span length " + k, head: true },
          { text: "measured: " + h.counts[i] + " of " + h.spans + " spans (" +
            D.fmt(100 * h.measured[i], 3) + "%)", mono: true },
          { text: "theory: " + D.fmt(100 * h.theory[i], 3) + "%", mono: true }
        ];
      });
      svg.appendChild(bar);
    });
    var d = h.theory.map(function (p, i) {
      return (i ? "L" : "M") + X(h.lengths[i]).toFixed(2) + "," + Y(p).toFixed(2);
    }).join(" ");
    svg.appendChild(D.svg("path", { d: d, fill: "none", stroke: data.colours.theory, "stroke-width": 2 }));
    h.theory.forEach(function (p, i) {
      svg.appendChild(D.svg("circle", { "class": "mask-theory", cx: X(h.lengths[i]), cy: Y(p), r: 4,
        fill: data.colours.theory }));
    });
    document.getElementById("mask-hist").appendChild(svg);
  }

  select.addEventListener("change", function () { show(Number(select.value)); });
  document.getElementById("mask-next").addEventListener("click", function () { show(current + 1); });
  histogram();
  show(0);
})();
