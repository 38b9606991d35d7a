/* diaphane training examples: step a window across the text.
 *
 * Data: {kind: "ngram" | "gpt", size, tokens: [...], rows: [[start, stop, target], ...],
 *        pads: ["<s>", "</s>"]}. Example i's context is tokens[start:stop], its target
 * tokens[target]. Keys: ← → step, Home / End jump, space plays. Tokens are text only.
 */
"use strict";
(function () {
  var D = window.Diaphane;
  var data = D.data();
  var rows = data.rows, tokens = data.tokens;
  var strip = document.getElementById("win-strip");
  var body = document.querySelector("#win-table tbody");
  var current = 0, timer = null;

  var boxes = tokens.map(function (tok, j) {
    var cls = "win-token" + (data.pads.indexOf(tok) >= 0 ? " is-pad" : "");
    var box = D.el("span", { "class": cls, "data-j": j }, tok);
    strip.appendChild(box);
    return box;
  });
  if (data.kind === "gpt") {  // show where each block of the text begins
    rows.forEach(function (r, i) {
      if (i > 0 && r[0] !== rows[i - 1][0]) boxes[r[0]].classList.add("is-block-start");
    });
  }

  var tableRows = rows.map(function (r, i) {
    var tr = D.el("tr", { "class": "win-row", "data-i": i });
    tr.appendChild(D.el("td", null, String(i + 1)));
    var ctx = D.el("td", { "class": "win-context" });
    tokens.slice(r[0], r[1]).forEach(function (tok) {
      ctx.appendChild(D.el("span", { "class": "win-chip" }, tok));
    });
    tr.appendChild(ctx);
    tr.appendChild(D.el("td", null, "→"));
    tr.appendChild(D.el("td", { "class": "win-next" }, tokens[r[2]]));
    tr.addEventListener("click", function () { stop(); show(i); });
    body.appendChild(tr);
    return tr;
  });

  function describe(r) {
    var ctx = tokens.slice(r[0], r[1]);
    var what = data.kind === "ngram" ? "context of " + ctx.length + " words" :
      "prefix of " + ctx.length + " token" + (ctx.length === 1 ? "" : "s");
    return "[" + ctx.join(" ") + "]  →  " + tokens[r[2]] + "   (" + what + ")";
  }

  function show(i) {
    current = Math.max(0, Math.min(rows.length - 1, i));
    var r = rows[current];
    boxes.forEach(function (box, j) {
      box.classList.toggle("is-context", j >= r[0] && j < r[1]);
      box.classList.toggle("is-target", j === r[2]);
    });
    tableRows.forEach(function (tr, t) { tr.classList.toggle("is-current", t === current); });
    document.getElementById("win-count").textContent =
      "example " + (current + 1) + " of " + rows.length;
    document.getElementById("win-example").textContent = describe(r);
    document.getElementById("win-prev").disabled = current === 0;
    document.getElementById("win-next").disabled = current === rows.length - 1;
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    document.getElementById("win-play").textContent = "Play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === rows.length - 1) show(0);
    document.getElementById("win-play").textContent = "Pause";
    timer = window.setInterval(function () {
      if (current >= rows.length - 1) { stop(); return; }
      show(current + 1);
    }, 900);
  }

  document.getElementById("win-first").addEventListener("click", function () { stop(); show(0); });
  document.getElementById("win-prev").addEventListener("click", function () { stop(); show(current - 1); });
  document.getElementById("win-next").addEventListener("click", function () { stop(); show(current + 1); });
  document.getElementById("win-play").addEventListener("click", play);
  document.addEventListener("keydown", function (event) {
    if (event.target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(event.target.tagName) &&
        event.key === " ") return;  // a focused button handles its own space
    var moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: rows.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      stop();
      show(moves[event.key]);
    } else if (event.key === " ") {
      event.preventDefault();
      play();
    }
  });
  show(0);
})();
