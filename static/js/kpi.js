/* KPI pages: monthly trend and distribution charts (data from the json_script element
   "kpi-chart-data"; no inline script: strict CSP) and the scheme editor's live sum of weights. */
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

  function charts() {
    var source = document.getElementById("kpi-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    window.Chart.defaults.font.family = FONT;
    (data.trends || []).forEach(function (t) {
      var canvas = document.getElementById(t.id);
      if (!canvas || canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      var values = t.values.map(function (v) {
        return v === null ? null : (t.percent ? Math.round(v * 10000) / 100 : v);
      });
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: t.labels,
          datasets: [{ label: t.label, data: values, borderColor: "#2f6fb0", backgroundColor: "#2f6fb0", spanGaps: true, tension: 0.2 }]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (ctx) { return t.label + ": " + ctx.formattedValue + (t.percent ? " %" : ""); } } }
          },
          scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return t.percent ? v + " %" : v; } } } }
        }
      });
    });
    var palette = ["#2f6fb0", "#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a"];
    (data.distributions || []).forEach(function (d) {
      var canvas = document.getElementById(d.id);
      if (!canvas || canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: d.labels,
          datasets: [{ label: d.label, data: d.values, backgroundColor: palette.slice(0, d.values.length) }]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true } }
        }
      });
    });
  }

  function weights() {
    var sum = document.getElementById("weights-sum");
    var form = document.getElementById("scheme-form");
    if (!sum || !form) return;
    function update() {
      var total = 0;
      form.querySelectorAll("input.kpi-weight").forEach(function (input) {
        var row = input.closest("tr");
        var included = row ? row.querySelector('input[type="checkbox"]') : null;
        if (included && !included.checked) return;
        var value = parseInt(input.value, 10);
        if (!isNaN(value)) total += value;
      });
      sum.textContent = String(total);
      sum.classList.toggle("bad", total !== parseInt(sum.dataset.target, 10));
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function start() { charts(); weights(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
