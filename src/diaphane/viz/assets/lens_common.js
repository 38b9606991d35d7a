/* diaphane lens figures: helpers shared by the rankings, saliency, attention and factor pages.
 *
 * Lens.blues(t)         matplotlib's "Blues" for t in [0, 1] (0 near white, 1 dark blue)
 * Lens.display(token)   a token as shown: line breaks and tabs as visible symbols
 * Lens.quoted(token)    a token in quotes, so leading spaces show (" London")
 * Lens.tint(hex, a)     a colour blended over white with strength a in [0, 1], as "rgb(...)"
 * Lens.tokenSpan(tok, attrs, bg)  a <span> holding the token as text, background bg
 */
"use strict";
(function (global, D) {
  // ColorBrewer Blues, 9 classes: the stops matplotlib's "Blues" is built from.
  var BLUES = [
    [247, 251, 255], [222, 235, 247], [198, 219, 239], [158, 202, 225], [107, 174, 214],
    [66, 146, 198], [33, 113, 181], [8, 81, 156], [8, 48, 107]
  ];

  function ramp(stops, t) {
    if (t === null || t === undefined || Number.isNaN(t)) return "rgb(238,238,238)";
    var u = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(u)), f = u - i;
    var c = [0, 1, 2].map(function (j) {
      return Math.round(stops[i][j] + (stops[i + 1][j] - stops[i][j]) * f);
    });
    return "rgb(" + c.join(",") + ")";
  }

  function display(token) {
    var s = String(token).replace(/\r/g, "\u240d").replace(/\n/g, "\u21b5")
      .replace(/\t/g, "\u21e5");
    return s === "" ? "\u2205" : s;
  }

  function quoted(token) { return "\u201c" + display(token) + "\u201d"; }

  function tint(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    var rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    var s = Math.max(0, Math.min(1, a));
    return "rgb(" + rgb.map(function (c) { return Math.round(255 - s * (255 - c)); }).join(",") +
      ")";
  }

  function tokenSpan(token, attrs, bg) {
    var span = D.el("span", attrs, display(token));
    if (bg) {
      span.style.background = bg;
      span.style.color = D.textColor(bg);
    }
    return span;
  }

  global.Lens = {
    blues: function (t) { return ramp(BLUES, t); },
    display: display, quoted: quoted, tint: tint, tokenSpan: tokenSpan
  };
})(window, window.Diaphane);
