// The account form's station picker works without this script (open a county, tick). With
// it, a search box narrows every county to the stations whose name, township or village
// matches, opening the counties that have one and hiding the rest.
(function () {
  "use strict";
  var filter = document.getElementById("station-filter");
  if (!filter) return;
  var groups = document.querySelectorAll(".station-picker details.county-group");
  groups.forEach(function (g) { g.dataset.open = g.open ? "1" : ""; });
  filter.hidden = false;
  filter.addEventListener("keydown", function (e) {
    if (e.key === "Enter") e.preventDefault();
  });
  filter.addEventListener("input", function () {
    var q = filter.value.trim();
    groups.forEach(function (g) {
      var any = false;
      g.querySelectorAll("label.choice").forEach(function (label) {
        var box = label.querySelector("input");
        var hit = q === "" || box.checked || label.textContent.indexOf(q) >= 0 ||
          g.querySelector("summary").textContent.indexOf(q) >= 0;
        label.hidden = !hit;
        any = any || hit;
      });
      g.hidden = !any;
      g.open = q === "" ? g.dataset.open === "1" : any;
    });
  });
})();
