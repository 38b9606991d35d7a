/* Saliency: the input tokens as spans, background by attribution; hover shows the value. */
"use strict";
(function (D, L) {
  var d = D.data();
  var top = 0;
  d.scores.forEach(function (s) { top = Math.max(top, Math.abs(s)); });
  if (top === 0) top = 1;

  function color(s) { return d.signed ? D.diverging(s / top) : L.blues(s / top); }

  function lines(i) {
    var s = d.scores[i];
    var out = [
      { text: L.quoted(d.tokens[i]) + " (position " + i + ")", head: true },
      (d.signed ? "attribution (signed sum) " : "attribution (share of L2 norms) ") + D.fmt(s)
    ];
    if (!d.signed) out.push(D.fmt(100 * s, 3) + "% of the total");
    out.push("target " + L.quoted(d.target));
    return out;
  }

  function buildText() {
    var host = document.getElementById("sal-text");
    d.tokens.forEach(function (tok, i) {
      var span = L.tokenSpan(tok, {
        "class": "sal-tok", id: "sal-tok-" + i, tabindex: 0, "data-score": d.scores[i]
      }, color(d.scores[i]));
      D.attachTooltip(span, function () { return lines(i); });
      host.appendChild(span);
    });
    host.appendChild(D.el("span", { "class": "sal-arrow" }, " \u2192"));
    host.appendChild(D.el("span", { "class": "sal-target", id: "sal-target" },
      L.display(d.target)));
  }

  function buildScale() {
    var scale = document.getElementById("sal-scale");
    var stops = [];
    for (var t = d.signed ? -1 : 0; t <= 1.0001; t += 0.25) {
      stops.push(d.signed ? D.diverging(t) : L.blues(t));
    }
    var bar = D.el("span", { "class": "lens-scale-bar" });
    bar.style.background = "linear-gradient(to right, " + stops.join(", ") + ")";
    scale.appendChild(D.el("span", null, d.signed ? D.fmt(-top) : "0"));
    scale.appendChild(bar);
    scale.appendChild(D.el("span", null, D.fmt(top)));
  }

  buildText();
  buildScale();
})(window.Diaphane, window.Lens);
