/* Segmentation charts: data comes from json_script elements; no inline script (CSP). */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function fresh(canvas) {
    if (!canvas || canvas.dataset.drawn) return false;
    canvas.dataset.drawn = "1";
    return true;
  }

  function draw() {
    if (typeof window.Chart === "undefined") return;
    // The scores panel arrives by htmx, which drops <script> elements: its data is an attribute.
    var holder = document.getElementById("seg-charts");
    var radar = holder && holder.dataset.radar ? JSON.parse(holder.dataset.radar) : null;
    var radarCanvas = document.getElementById("seg-radar");
    if (radar && fresh(radarCanvas)) {
      new window.Chart(radarCanvas, {
        type: "radar",
        data: { labels: radar.labels, datasets: [{ data: radar.values, fill: true }] },
        options: {
          plugins: { legend: { display: false } },
          scales: { r: { min: 0, max: 5, ticks: { stepSize: 1 } } },
          animation: false
        }
      });
    }
    var historyCanvas = document.getElementById("seg-history");
    if (radar && fresh(historyCanvas)) {
      var h = radar.history;
      new window.Chart(historyCanvas, {
        type: "line",
        data: {
          labels: h.labels,
          datasets: [
            { label: h.names[0], data: h.segment },
            { label: h.names[1], data: h.economic },
            { label: h.names[2], data: h.social }
          ]
        },
        options: { scales: { y: { min: 1, max: 5 } }, animation: false, spanGaps: true }
      });
    }
    var dist = data("seg-histogram-data");
    var distCanvas = document.getElementById("seg-histogram");
    if (dist && fresh(distCanvas)) {
      new window.Chart(distCanvas, {
        type: "bar",
        data: { labels: dist.labels, datasets: [{ data: dist.counts }] },
        options: { plugins: { legend: { display: false } }, animation: false }
      });
    }
  }

  // The account page loads the scores panel after it is shown (htmx): draw when it arrives.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (document.getElementById("seg-charts")) draw();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
