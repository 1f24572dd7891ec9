// The activity log form works without this script. With it, both lists narrow as one types a
// name (no round trip) and the folded "others" open to show who matches, Enter in the search
// box does not submit, the "n ticked" counts follow the ticks, and the training topic shows
// only for a training.
(function () {
  "use strict";
  var form = document.getElementById("log-form");
  if (!form) return;
  var search = document.getElementById("q");
  var folds = form.querySelectorAll("details.more");
  folds.forEach(function (d) { d.dataset.open = d.open ? "1" : ""; });

  function filter() {
    var q = search.value.trim();
    form.querySelectorAll(".people .tick").forEach(function (label) {
      var box = label.querySelector("input");
      var name = label.querySelector("span").textContent;
      var hide = q !== "" && !box.checked && name.indexOf(q) < 0;
      var row = label.closest(".tick-row");
      label.hidden = hide;
      if (row) row.hidden = hide;
    });
    folds.forEach(function (d) {
      d.open = q !== "" ? d.querySelector(".tick:not([hidden])") !== null : d.dataset.open === "1";
    });
  }

  function count(name) {
    var shown = form.querySelector('[data-ticked="' + name + '"]');
    if (!shown) return;
    var n = form.querySelectorAll('input[name="' + name + '"]:checked').length;
    shown.textContent = shown.textContent.replace(/\d+/, String(n));
  }

  var kind = document.getElementById("kind");
  var topic = document.getElementById("topic-field");
  function showTopic() {
    if (kind && topic) topic.hidden = kind.value !== "training";
  }
  if (kind) kind.addEventListener("change", showTopic);
  showTopic();

  if (search) {
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();
    });
  }
  form.addEventListener("change", function (e) {
    var box = e.target;
    // A host is there: ticking one ticks the volunteer too.
    if (box.name === "host" && box.checked) {
      var row = box.closest(".tick-row");
      var present = row && row.querySelector('input[name="volunteer"]');
      if (present) present.checked = true;
    }
    count("child");
    count("volunteer");
  });
})();
