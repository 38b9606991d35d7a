/* diaphane computation graph: draws the layout computed in Python as SVG.
 *
 * Data: {width, height, nodes: [{id, role, lines, x, y, w, h, tip}],
 *        edges: [{src, dst, arg, points: [[x, y], ...]}], colours: {role: [fill, stroke]},
 *        legend: [{role, name, fill}]}
 * Every text goes in through Diaphane.svg / Diaphane.el (textContent), never as markup.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var view = document.getElementById("graph-view");

  function edgePath(points) {
    // Cubic pieces with horizontal tangents: smooth, and the same curves the PNG draws.
    var d = "M" + points[0][0] + "," + points[0][1];
    for (var i = 1; i < points.length; i++) {
      var a = points[i - 1], b = points[i], mx = (a[0] + b[0]) / 2;
      d += " C" + mx + "," + a[1] + " " + mx + "," + b[1] + " " + b[0] + "," + b[1];
    }
    return d;
  }

  function hexagon(w, h) {
    var c = Math.min(10, w / 4), x = w / 2, y = h / 2;
    return [[-x + c, -y], [x - c, -y], [x, 0], [x - c, y], [-x + c, y], [-x, 0]]
      .map(function (p) { return p[0] + "," + p[1]; }).join(" ");
  }

  function shape(node) {
    var c = data.colours[node.role], w = node.w, h = node.h;
    var style = { "class": "graph-shape", fill: c[0], stroke: c[1], "stroke-width": 1 };
    if (node.role === "input") {
      style.rx = w / 2; style.ry = h / 2;
      return D.svg("ellipse", style);
    }
    if (node.role === "param") {
      style.points = hexagon(w, h);
      return D.svg("polygon", style);
    }
    style.x = -w / 2; style.y = -h / 2; style.width = w; style.height = h;
    style.rx = node.role === "const" ? 0 : 6;
    if (node.role === "const") style["stroke-dasharray"] = "3 2";
    if (node.role === "output") style["stroke-width"] = 2;
    return D.svg("rect", style);
  }

  function drawNode(node, layer, edgesOf) {
    var g = D.svg("g", {
      "class": "graph-node role-" + node.role,
      transform: "translate(" + node.x + "," + node.y + ")",
      tabindex: 0,
      "data-id": node.id
    });
    g.appendChild(shape(node));
    if (node.role === "output") {
      var outer = shape({ role: "output", w: node.w + 6, h: node.h + 6 });
      outer.setAttribute("fill", "none");
      outer.setAttribute("stroke-width", 1);
      g.appendChild(outer);
    }
    var top = -(node.lines.length - 1) * 7;
    node.lines.forEach(function (line, i) {
      g.appendChild(D.svg("text", { x: 0, y: top + i * 14, "text-anchor": "middle",
        "dominant-baseline": "central" }, line));
    });
    D.attachTooltip(g, function () { return node.tip; });
    function hot(on) {
      g.classList.toggle("is-hot", on);
      (edgesOf[node.id] || []).forEach(function (p) { p.classList.toggle("is-hot", on); });
    }
    g.addEventListener("mouseenter", function () { hot(true); });
    g.addEventListener("mouseleave", function () { hot(false); });
    g.addEventListener("focus", function () { hot(true); });
    g.addEventListener("blur", function () { hot(false); });
    layer.appendChild(g);
  }

  function drawLegend() {
    var box = document.getElementById("graph-legend");
    data.legend.forEach(function (item) {
      var entry = D.el("span", { "class": "dia-legend-item" });
      var sw = D.el("span", { "class": "dia-swatch" });
      sw.style.background = item.fill;
      sw.style.border = "1px solid " + data.colours[item.role][1];
      entry.appendChild(sw);
      entry.appendChild(D.el("span", null, item.name));
      box.appendChild(entry);
    });
  }

  function draw() {
    var avail = Math.max(200, view.clientWidth || data.width);
    // Fit the width, but never shrink labels past legibility: wider graphs pan instead.
    var fit = Math.max(0.7, Math.min(1, avail / data.width));
    var svg = D.svg("svg", {
      width: Math.ceil(Math.min(avail, data.width * fit)),
      height: Math.ceil(data.height * fit),
      role: "img",
      "aria-label": document.title
    });
    var defs = D.svg("defs");
    var marker = D.svg("marker", { id: "graph-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(D.svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#6b7280" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    var world = D.svg("g", { "class": "graph-world" });
    var edgeLayer = D.svg("g", { "class": "graph-edges" });
    var nodeLayer = D.svg("g", { "class": "graph-nodes" });
    var edgesOf = {};
    data.edges.forEach(function (e) {
      var p = D.svg("path", { "class": "graph-edge", d: edgePath(e.points),
        "marker-end": "url(#graph-arrow)", "data-src": e.src, "data-dst": e.dst });
      edgeLayer.appendChild(p);
      (edgesOf[e.src] = edgesOf[e.src] || []).push(p);
      (edgesOf[e.dst] = edgesOf[e.dst] || []).push(p);
    });
    data.nodes.forEach(function (n) { drawNode(n, nodeLayer, edgesOf); });
    world.appendChild(edgeLayer);
    world.appendChild(nodeLayer);
    svg.appendChild(world);
    view.appendChild(svg);
    function place(z) {
      world.setAttribute("transform",
        "translate(" + z.x + "," + z.y + ") scale(" + z.k * fit + ")");
    }
    D.zoom(svg, place, { minScale: 0.25, maxScale: 8 });
    place({ k: 1, x: 0, y: 0 });
  }

  drawLegend();
  draw();
})();
