// What every journey checks on every page it visits, run in the page (WebDriver
// execute_async: the last argument is the callback). `arguments[0]` says whether the page is
// seen on a phone. Answers {width, usable_ms, violations: [...], small: [...]}.
(function (phone, done) {
  "use strict";
  var report = {
    width: document.documentElement.scrollWidth,
    usable_ms: (function () {
      var nav = performance.getEntriesByType("navigation")[0];
      return nav ? Math.round(nav.domInteractive) : null;
    })(),
    violations: [],
    small: [],
    wide: [],
    // Bytes over the wire for this page and what it loaded (a file from the cache costs 0).
    transferred: (function () {
      var all = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"));
      return all.reduce(function (n, e) { return n + (e.transferSize || 0); }, 0);
    })()
  };

  // What sticks out past the screen's edge (outside frames that scroll on their own).
  var edge = document.documentElement.clientWidth;
  if (report.width > edge) {
    document.querySelectorAll("body *").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.right > edge + 1 && !el.closest(".table-wrap, .menu") && report.wide.length < 8) {
        report.wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
          (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + " → " +
          Math.round(r.right) + " px «" + (el.textContent || "").trim().slice(0, 30) + "»");
      }
    });
  }

  // Touch targets, on a phone: every control at least 44 × 44 CSS px; a checkbox or a radio
  // through the label that holds it; links within running text are exempt (WCAG 2.5.8).
  if (phone) {
    var seen = [];
    document.querySelectorAll("a[href], button, input, select, textarea, summary").forEach(function (el) {
      if (el.type === "hidden" || el.closest(".offscreen, .skip, [hidden]")) return;
      var target = el;
      if (el.type === "checkbox" || el.type === "radio") target = el.closest("label") || el;
      if (el.tagName === "A" && getComputedStyle(el).display === "inline" &&
          el.closest("p, li, td, th, dd, h1, h2, h3, small, .crumbs, .foot")) return;
      if (seen.indexOf(target) >= 0) return;
      seen.push(target);
      var r = target.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      if (r.width < 43.5 || r.height < 43.5) {
        report.small.push(target.tagName.toLowerCase() + (target.id ? "#" + target.id : "") +
          " «" + (target.textContent || target.value || target.name || "").trim().slice(0, 20) +
          "» " + Math.round(r.width) + "×" + Math.round(r.height));
      }
    });
  }

  axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    resultTypes: ["violations"]
  }).then(function (result) {
    result.violations.forEach(function (v) {
      if (v.impact !== "serious" && v.impact !== "critical") return;
      report.violations.push(v.impact + " " + v.id + ": " + v.help + " — " +
        v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }).join(", "));
    });
    done(report);
  }, function (e) { report.violations.push("axe failed: " + e); done(report); });
})(arguments[0], arguments[arguments.length - 1]);
