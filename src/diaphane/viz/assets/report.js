/* diaphane report: fit each figure frame to the height its page reports, and mark the
 * section being read in the table of contents. Messages carry only a number. */
"use strict";
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll(".dia-fig iframe"));
  window.addEventListener("message", function (event) {
    var h = event.data && event.data.diaphaneHeight;
    if (typeof h !== "number" || !isFinite(h)) return;
    frames.forEach(function (frame) {
      if (frame.contentWindow === event.source) {
        frame.style.height = Math.max(120, Math.min(h + 4, 4000)) + "px";
        frame.setAttribute("data-fitted", "true");
      }
    });
  });
  frames.forEach(function (frame) {
    var ask = function () {
      if (frame.contentWindow) frame.contentWindow.postMessage({ diaphaneAsk: true }, "*");
    };
    frame.addEventListener("load", ask);
    ask();
  });
  var links = {};
  document.querySelectorAll(".dia-toc a").forEach(function (a) {
    links[a.getAttribute("href").slice(1)] = a;
  });
  if (!window.IntersectionObserver) return;
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var a = links[entry.target.id];
      if (!a) return;
      if (entry.isIntersecting) {
        Object.keys(links).forEach(function (k) { links[k].removeAttribute("aria-current"); });
        a.setAttribute("aria-current", "true");
      }
    });
  }, { rootMargin: "0px 0px -70% 0px" });
  document.querySelectorAll(".dia-section").forEach(function (s) { seen.observe(s); });
})();
