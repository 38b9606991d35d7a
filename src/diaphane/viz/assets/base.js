/* diaphane figures: shared helpers, inlined into every page before the figure's script.
 *
 * Diaphane.data()                 the figure's JSON data (from #figure-data)
 * Diaphane.el(tag, attrs, text)   an HTML element; text goes in through textContent only
 * Diaphane.svg(tag, attrs, text)  an SVG element, likewise
 * Diaphane.tooltip.show(lines, event) / .hide()
 *                                 lines: strings, or {text, head: bool, mono: bool}
 * Diaphane.attachTooltip(node, linesFn)  show linesFn(event) on hover and keyboard focus
 * Diaphane.fmt(x, digits)         a number for people: 4 significant digits, "—" for null
 * Diaphane.diverging(t)           RdBu_r colour for t in [-1, 1] (blue < 0 < red)
 * Diaphane.textColor(css)         "#000" or "#fff", whichever reads on that background
 * Diaphane.zoom(node, onChange, opts)  wheel zoom about the pointer, drag to pan,
 *                                 double-click resets; onChange({k, x, y}) after each move
 *
 * Data never goes through innerHTML: every word a model saw is text, not markup.
 */
"use strict";
(function (global) {
  var SVG_NS = "http://www.w3.org/2000/svg";

  function data() {
    var node = document.getElementById("figure-data");
    return JSON.parse(node.textContent);
  }

  function setAttrs(node, attrs) {
    if (!attrs) return node;
    Object.keys(attrs).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      // Event-handler attributes would turn data into code.
      if (/^on/i.test(key)) throw new Error("refusing event attribute " + key);
      node.setAttribute(key, String(value));
    });
    return node;
  }

  function el(tag, attrs, text) {
    var node = setAttrs(document.createElement(tag), attrs);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs, text) {
    var node = setAttrs(document.createElementNS(SVG_NS, tag), attrs);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var tooltip = {
    node: function () { return document.getElementById("dia-tooltip"); },
    show: function (lines, event) {
      var tip = this.node();
      tip.replaceChildren();
      (lines || []).forEach(function (line) {
        var item = typeof line === "string" ? { text: line } : line;
        var cls = "dia-tip-line" + (item.head ? " dia-tip-head" : "") +
          (item.mono ? " dia-tip-mono" : "");
        tip.appendChild(el("div", { "class": cls }, item.text));
      });
      tip.hidden = false;
      this.place(event);
    },
    place: function (event) {
      var tip = this.node();
      var x = 12, y = 12;
      if (event && event.clientX !== undefined) {
        x = event.clientX + 14;
        y = event.clientY + 14;
      } else if (event && event.target && event.target.getBoundingClientRect) {
        var box = event.target.getBoundingClientRect();
        x = box.right + 6;
        y = box.bottom + 6;
      }
      var w = tip.offsetWidth, h = tip.offsetHeight;
      if (x + w > window.innerWidth - 4) x = Math.max(4, x - w - 28);
      if (y + h > window.innerHeight - 4) y = Math.max(4, y - h - 28);
      tip.style.left = x + "px";
      tip.style.top = y + "px";
    },
    hide: function () { this.node().hidden = true; }
  };

  function attachTooltip(node, linesFn) {
    function show(event) { tooltip.show(linesFn(event), event); }
    node.addEventListener("mouseenter", show);
    node.addEventListener("mousemove", function (event) { tooltip.place(event); });
    node.addEventListener("mouseleave", function () { tooltip.hide(); });
    node.addEventListener("focus", show);
    node.addEventListener("blur", function () { tooltip.hide(); });
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    if (x === 0) return "0";
    var d = digits || 4;
    var a = Math.abs(x);
    if (a >= 1e6 || a < 1e-4) return x.toExponential(d - 1).replace(/\.?0+e/, "e");
    var s = x.toPrecision(d);
    if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s;
  }

  // ColorBrewer RdBu, reversed (as matplotlib's "RdBu_r"): index 0 is -1, index 10 is +1.
  var RDBU_R = [
    [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
    [103, 0, 31]
  ];

  function diverging(t) {
    if (t === null || t === undefined || Number.isNaN(t)) return "#e0e0e0";
    var u = (Math.max(-1, Math.min(1, t)) + 1) * 5;
    var i = Math.min(9, Math.floor(u));
    var f = u - i;
    var a = RDBU_R[i], b = RDBU_R[i + 1];
    var c = [0, 1, 2].map(function (j) { return Math.round(a[j] + (b[j] - a[j]) * f); });
    return "rgb(" + c.join(",") + ")";
  }

  function textColor(css) {
    var m = /rgb\((\d+),(\d+),(\d+)\)/.exec(String(css).replace(/\s/g, ""));
    if (!m) return "#000";
    // Relative luminance, roughly: dark backgrounds get white text.
    var lum = (0.299 * m[1] + 0.587 * m[2] + 0.114 * m[3]) / 255;
    return lum < 0.5 ? "#fff" : "#000";
  }

  function zoom(node, onChange, opts) {
    var o = opts || {};
    var minK = o.minScale || 0.5, maxK = o.maxScale || 64;
    var state = { k: 1, x: 0, y: 0 };
    var drag = null;
    function emit() { if (onChange) onChange({ k: state.k, x: state.x, y: state.y }); }
    function local(event) {
      var box = node.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    }
    function zoomAt(px, py, factor) {
      var k = Math.max(minK, Math.min(maxK, state.k * factor));
      // Keep the point under the pointer where it is.
      state.x = px - (px - state.x) * (k / state.k);
      state.y = py - (py - state.y) * (k / state.k);
      state.k = k;
      emit();
    }
    node.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = local(event);
      zoomAt(p[0], p[1], Math.exp(-event.deltaY * 0.0015));
    }, { passive: false });
    node.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, y: event.clientY, sx: state.x, sy: state.y };
      if (node.setPointerCapture) node.setPointerCapture(event.pointerId);
    });
    node.addEventListener("pointermove", function (event) {
      if (!drag) return;
      state.x = drag.sx + event.clientX - drag.x;
      state.y = drag.sy + event.clientY - drag.y;
      emit();
    });
    node.addEventListener("pointerup", function () { drag = null; });
    node.addEventListener("pointercancel", function () { drag = null; });
    node.addEventListener("dblclick", function () { api.reset(); });
    var api = {
      state: function () { return { k: state.k, x: state.x, y: state.y }; },
      set: function (k, x, y) { state.k = k; state.x = x; state.y = y; emit(); },
      zoomAt: zoomAt,
      reset: function () { state.k = 1; state.x = 0; state.y = 0; emit(); }
    };
    return api;
  }

  // Inside a report's frame, tell the article how tall the figure is, so the frame fits
  // it (frames of file: pages cannot be measured from outside). Only a number is sent.
  function reportHeight() {
    if (global.parent === global) return;
    var send = function () {
      var h = Math.ceil(document.documentElement.scrollHeight);
      global.parent.postMessage({ diaphaneHeight: h }, "*");
    };
    global.addEventListener("load", send);
    // The article asks again once it listens (a fast frame may report before that).
    global.addEventListener("message", function (event) {
      if (event.source === global.parent && event.data && event.data.diaphaneAsk) send();
    });
    if (global.ResizeObserver) new ResizeObserver(send).observe(document.body);
  }
  reportHeight();

  global.Diaphane = {
    data: data, el: el, svg: svg, tooltip: tooltip, attachTooltip: attachTooltip,
    fmt: fmt, diverging: diverging, textColor: textColor, zoom: zoom
  };
})(window);
