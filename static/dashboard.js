// Draws the dashboard's trends table as a chart. The table stays the source of the numbers
// (and what readers without JavaScript, or printing, see); the chart only shows them.
(function () {
  "use strict";
  var table = document.getElementById("trends");
  var box = document.getElementById("trends-chart");
  if (!table || !box || typeof echarts === "undefined") return;

  var heads = table.querySelectorAll("thead th");
  var names = [];
  for (var i = 1; i < heads.length; i++) names.push(heads[i].textContent.trim());
  var months = [];
  var series = names.map(function () { return []; });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    var head = row.querySelector("th");
    // The current month is counted so far only: its label says so.
    months.push(head.dataset.month + (head.dataset.partial ? " " + box.dataset.partial : ""));
    row.querySelectorAll("td").forEach(function (cell, k) {
      series[k].push(Number(cell.dataset.n));
    });
  });

  box.hidden = false;
  var chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    color: ["#b4233c", "#0969da", "#1a7f37", "#9a6700"],
    tooltip: { trigger: "axis" },
    legend: { data: names, top: 0 },
    grid: { left: 56, right: 64, top: 64, bottom: 32 },
    xAxis: { type: "category", data: months },
    // Person-visits and contacts run an order of magnitude above the rest: their own axis.
    yAxis: [
      { type: "value", name: box.dataset.leftAxis },
      { type: "value", name: box.dataset.rightAxis, splitLine: { show: false } }
    ],
    series: names.map(function (name, k) {
      var big = k === 1 || k === 3;
      return { name: name, type: big ? "line" : "bar", yAxisIndex: big ? 1 : 0, data: series[k] };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
