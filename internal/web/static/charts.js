// Bar charts without inline script (the CSP forbids it): an element with
// data-chart="ID" is drawn from the JSON in <script type="application/json"
// id="ID">: {categories: [...], series: [{name, data: [...]}], stacked,
// kind, single}. kind "line" draws lines instead of bars; single shows one
// series at a time, chosen in the legend (for series of different units).
// The table next to each chart carries the same numbers for screen readers
// and printing.
(function () {
  function draw(el) {
    var src = document.getElementById(el.getAttribute("data-chart"));
    if (!src || !window.echarts) {
      return;
    }
    var d;
    try {
      d = JSON.parse(src.textContent);
    } catch (e) {
      return;
    }
    el.style.height = (el.getAttribute("data-height") || "320") + "px";
    var chart = window.echarts.init(el);
    var long = d.categories.some(function (c) { return String(c).length > 4; });
    // Many long names turn; a few long names (service points) wrap.
    var rotate = long && d.categories.length > 6 ? 30 : 0;
    var label = { interval: 0, rotate: rotate };
    if (long && !rotate) {
      label.width = Math.max(60, Math.floor(el.clientWidth * 0.8 / Math.max(d.categories.length, 1)));
      label.overflow = "break";
    }
    var line = d.kind === "line";
    var selected = {};
    if (d.single) {
      d.series.forEach(function (s, i) { selected[s.name] = i === 0; });
    }
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: line ? "line" : "shadow" } },
      legend: { top: 0, type: "scroll", selectedMode: d.single ? "single" : true, selected: selected },
      grid: { left: rotate ? 32 : 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.categories, axisLabel: label },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        if (line) {
          return { name: s.name, type: "line", data: s.data, symbolSize: 6 };
        }
        return { name: s.name, type: "bar", stack: d.stacked ? "total" : undefined, data: s.data, barMaxWidth: 40 };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function init() {
    var els = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) {
      draw(els[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
