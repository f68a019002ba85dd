/* The account page's 12-month revenue chart. Data comes from a json_script element named by the
   canvas's data-revenue-chart attribute; no inline script (CSP). */
(function () {
  "use strict";

  function draw() {
    if (typeof window.Chart === "undefined") return;
    var canvases = document.querySelectorAll("canvas[data-revenue-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.revenueChart);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var label = canvas.getAttribute("aria-label") || "";
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: label, data: data.revenue, backgroundColor: "#2f6fb0" }]
        },
        options: {
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
