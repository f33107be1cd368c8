/* Incident board: keep every countdown current (every 30 s), marking overdue `must` duties.
   The page is complete without this script; it only refreshes what the server rendered. */
(function () {
  "use strict";

  function two(n) { return (n < 10 ? "0" : "") + n; }

  // The same wording as the server's `countdown` filter.
  function span(seconds) {
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var hours = Math.floor(rest / 3600);
    var minutes = Math.floor((rest % 3600) / 60);
    if (days) { return days + " d " + hours + " h"; }
    if (hours) { return hours + " h " + two(minutes) + " min"; }
    return minutes + " min";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("time.countdown[datetime]");
    Array.prototype.forEach.call(clocks, function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var seconds = Math.trunc((due - now) / 1000);
      var late = seconds < 0;
      el.textContent = late ? span(-seconds) + " overdue" : "in " + span(seconds);
      if (el.getAttribute("data-breachable") === "yes") {
        el.classList.toggle("badge", late);
        el.classList.toggle("overdue", late);
      }
    });
  }

  // "Why": fetch the explanation and history the first time a duty's details are opened.
  function explainOnDemand() {
    var panels = document.querySelectorAll("details.why[data-fragment]");
    Array.prototype.forEach.call(panels, function (details) {
      details.addEventListener("toggle", function () {
        if (!details.open || details.getAttribute("data-loaded") === "yes") { return; }
        details.setAttribute("data-loaded", "yes");
        var body = details.querySelector(".why-body");
        fetch(details.getAttribute("data-fragment"), {credentials: "same-origin"})
          .then(function (response) {
            if (!response.ok) { throw new Error(String(response.status)); }
            return response.text();
          })
          .then(function (html) { body.innerHTML = html; })
          .catch(function () {
            details.setAttribute("data-loaded", "no");  // the link to the duty's page stays
          });
      });
    });
  }

  function start() {
    tick();
    explainOnDemand();
    window.setInterval(tick, 30000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
