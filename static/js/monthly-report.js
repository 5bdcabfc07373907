// The monthly report's charts (templates/reports/monthly.html): reads the #report-charts JSON
// block and draws them with the vendored Chart.js. A static file, so the CSP needs no inline script.
(function () {
  "use strict";
  if (!window.Chart) { return; }
  var data = JSON.parse(document.getElementById("report-charts").textContent);
  var palette = ["#1d4ed8", "#15803d", "#d97706", "#7c3aed", "#0e7490", "#be123c", "#4d7c0f", "#64748b"];
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var counts = { beginAtZero: true, ticks: { precision: 0 } };
  var percent = { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } };

  new Chart(document.getElementById("chart-trend"), {
    type: "bar",
    data: { labels: data.trend.labels, datasets: [
      { label: data.text.received, data: data.trend.received, backgroundColor: palette[0], yAxisID: "y" },
      { label: data.text.closed, data: data.trend.closed, backgroundColor: palette[1], yAxisID: "y" },
      { type: "line", label: data.text.compliance, data: data.trend.compliance, borderColor: palette[2],
        backgroundColor: palette[2], yAxisID: "pct", spanGaps: true, tension: 0.2 }
    ] },
    options: { scales: { y: counts, pct: Object.assign({ position: "right", grid: { drawOnChartArea: false } }, percent) } }
  });

  new Chart(document.getElementById("chart-compliance"), {
    type: "bar",
    data: { labels: data.compliance.labels, datasets: [
      { label: data.text.compliance, data: data.compliance.values,
        backgroundColor: data.compliance.labels.map(function (_, i) {
          return i === data.compliance.labels.length - 1 ? palette[7] : palette[2]; }) }
    ] },
    options: { indexAxis: "y", scales: { x: percent }, plugins: { legend: { display: false } } }
  });

  new Chart(document.getElementById("chart-channels"), {
    type: "doughnut",
    data: { labels: data.channels.labels, datasets: [
      { label: data.text.complaints, data: data.channels.values, backgroundColor: palette }
    ] },
    options: { plugins: { legend: { position: "right" } } }
  });

  new Chart(document.getElementById("chart-categories"), {
    type: "bar",
    data: { labels: data.categories.labels, datasets: data.categories.series.map(function (s, i) {
      return { label: s.label, data: s.values, backgroundColor: palette[i % palette.length] };
    }) },
    options: { indexAxis: "y", scales: { x: Object.assign({ stacked: true }, counts), y: { stacked: true } } }
  });
})();
