/* The account page's lifecycle timeline: revenue by month as bars coloured by the month's stage.
   Data is JSON in the canvas's data-lifecycle-chart attribute (the panel arrives by htmx, which
   drops <script> elements from swapped content); no inline script (CSP). */
(function () {
  "use strict";
  var COLOURS = { A: "#4098d7", B: "#3f9142", C: "#829ab1", D: "#e6a700", E: "#d64545", "": "#bcccdc" };

  function draw() {
    if (typeof window.Chart === "undefined") return;
    var canvases = document.querySelectorAll("canvas[data-lifecycle-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (canvas.dataset.drawn) return;
      var data;
      try { data = JSON.parse(canvas.dataset.lifecycleChart); } catch (e) { return; }
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels.map(function (label, i) {
            return data.stages[i] ? [label, data.stages[i]] : [label, "–"];
          }),
          datasets: [{
            label: data.revenue_label,
            data: data.revenue,
            backgroundColor: data.stages.map(function (s) { return COLOURS[s] || COLOURS[""]; })
          }]
        },
        options: {
          animation: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                afterLabel: function (item) {
                  var s = data.stages[item.dataIndex];
                  return s ? (data.stage_names[s] || s) : "";
                }
              }
            }
          },
          scales: { y: { beginAtZero: true } }
        }
      });
    });
  }

  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("load", draw);
  if (document.readyState !== "loading") draw();
})();
