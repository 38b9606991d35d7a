/* Neuron factors: a row of text per factor, tokens tinted by the factor's activation. */
"use strict";
(function (D, L) {
  var d = D.data();
  var nFactors = d.maxima.length;
  var select = document.getElementById("fac-select");

  function colorOf(k) { return d.palette[k % d.palette.length]; }

  function lines(t, i, k) {
    var acts = d.activations[t][i];
    var out = [{ text: L.quoted(d.tokens[t][i]) + " (text " + t + ", position " + i + ")",
      head: true }];
    out.push("factor " + k + ": " + D.fmt(acts[k]) + " (" +
      D.fmt(100 * acts[k] / d.maxima[k], 3) + "% of its largest)");
    acts.forEach(function (a, f) {
      if (f !== k) out.push({ text: "factor " + f + ": " + D.fmt(a), mono: true });
    });
    return out;
  }

  function buildLegend() {
    var legend = document.getElementById("fac-legend");
    for (var k = 0; k < nFactors; k++) {
      var chip = legend.appendChild(D.el("span", { "class": "fac-chip" }));
      var sw = chip.appendChild(D.el("span", { "class": "dia-swatch" }));
      sw.style.background = colorOf(k);
      chip.appendChild(D.el("span", { "class": "lens-tok" }, "factor " + k + ": " +
        d.top[k].map(L.quoted).join(" ")));
      select.appendChild(D.el("option", { value: k }, "factor " + k));
    }
  }

  function row(t, k) {
    var div = D.el("div", { "class": "fac-row fac-factor-" + k, id: "fac-row-" + t + "-" + k });
    div.appendChild(D.el("span", { "class": "fac-label" }, "factor " + k));
    var host = div.appendChild(D.el("span", { "class": "fac-tokens" }));
    d.tokens[t].forEach(function (tok, i) {
      var bg = L.tint(colorOf(k), d.activations[t][i][k] / d.maxima[k]);
      var span = L.tokenSpan(tok, { "class": "fac-tok", id: "fac-tok-" + t + "-" + k + "-" + i },
        bg);
      D.attachTooltip(span, function () { return lines(t, i, k); });
      host.appendChild(span);
    });
    return div;
  }

  function buildRows() {
    var host = document.getElementById("fac-rows");
    d.tokens.forEach(function (_, t) {
      var section = host.appendChild(D.el("section", { "class": "fac-text", id: "fac-text-" + t }));
      section.appendChild(D.el("h2", null, "text " + t));
      for (var k = 0; k < nFactors; k++) section.appendChild(row(t, k));
    });
  }

  select.addEventListener("change", function () {
    document.querySelectorAll(".fac-row").forEach(function (r) {
      r.hidden = select.value !== "all" && !r.classList.contains("fac-factor-" + select.value);
    });
  });

  buildLegend();
  buildRows();
})(window.Diaphane, window.Lens);
