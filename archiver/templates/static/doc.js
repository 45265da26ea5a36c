/* Document page: show the box of the line named in the URL fragment (#L<page>-<line>) over the
   page thumbnail. Boxes are in page pixels (data-box="x0,y0,x1,y1", figure data-width/height);
   percentages keep the overlay on the line at any displayed thumbnail size. */
(function () {
  "use strict";

  function clear() {
    document.querySelectorAll(".line.target").forEach(function (el) { el.classList.remove("target"); });
    document.querySelectorAll(".line-box").forEach(function (el) { el.hidden = true; });
  }

  function highlight(id, scroll) {
    var line = id ? document.getElementById(id) : null;
    if (!line || !line.classList.contains("line")) return false;
    clear();
    line.classList.add("target");
    var page = line.closest(".page");
    var figure = page && page.querySelector(".thumb");
    var overlay = figure && figure.querySelector(".line-box");
    var box = (line.getAttribute("data-box") || "").split(",").map(Number);
    var w = figure ? Number(figure.getAttribute("data-width")) : 0;
    var h = figure ? Number(figure.getAttribute("data-height")) : 0;
    if (overlay && box.length === 4 && w > 0 && h > 0 && box.every(isFinite)) {
      var x0 = Math.max(0, Math.min(box[0], box[2])), x1 = Math.min(w, Math.max(box[0], box[2]));
      var y0 = Math.max(0, Math.min(box[1], box[3])), y1 = Math.min(h, Math.max(box[1], box[3]));
      overlay.style.left = (100 * x0 / w) + "%";
      overlay.style.top = (100 * y0 / h) + "%";
      overlay.style.width = (100 * (x1 - x0) / w) + "%";
      overlay.style.height = (100 * (y1 - y0) / h) + "%";
      overlay.setAttribute("data-line", id);
      overlay.hidden = false;
    }
    if (scroll) line.scrollIntoView({ block: "center" });
    return true;
  }

  function fromHash() {
    highlight(decodeURIComponent(location.hash.replace(/^#/, "")), true);
  }

  document.addEventListener("click", function (event) {
    var line = event.target.closest && event.target.closest(".line[id]");
    if (!line || (window.getSelection && String(window.getSelection()))) return;
    history.replaceState(null, "", "#" + line.id);
    highlight(line.id, false);
  });
  window.addEventListener("hashchange", fromHash);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fromHash);
  } else {
    fromHash();
  }
})();
