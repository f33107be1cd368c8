/* Incident board: keep every countdown current (every 30 s), marking overdue `must` duties,
   and keep the board itself current: every 10 s it asks the server for the board's version
   (a conditional request, 304 while nothing changed) and, when it changed, fetches the board
   again and replaces it in place, so that a new duty, a state change, a delivery or a channel
   message shows within 15 s without a reload. The page is complete without this script. */
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

  var POLL_MS = 10000;
  var etag = null;

  function busy(board) {
    // Someone typing a reason or a message: do not pull the form from under them.
    var active = document.activeElement;
    if (active && board.contains(active) && /^(TEXTAREA|INPUT|SELECT)$/.test(active.tagName)) {
      return true;
    }
    return board.querySelector("details.reason-form[open], details.why[open]") !== null;
  }

  function refresh(board, version, tag) {
    fetch(window.location.href, {credentials: "same-origin", headers: {"X-Board-Refresh": "1"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (!fresh) { return; }
        // The groups someone opened stay open (the page is sent with every group folded).
        var opened = Array.prototype.map.call(
          board.querySelectorAll("details.board-group[open]"), function (d) { return d.id; });
        board.innerHTML = fresh.innerHTML;
        opened.forEach(function (id) {
          var group = document.getElementById(id);
          if (group && group.tagName === "DETAILS") { group.open = true; }
        });
        board.setAttribute("data-version", version);
        etag = tag;  // only now: a refresh skipped or failed is tried again on the next poll
        tick();
        explainOnDemand();
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function poll() {
    var board = document.getElementById("board");
    if (!board || !board.getAttribute("data-version-url") || document.hidden) { return; }
    var headers = {};
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(board.getAttribute("data-version-url"), {credentials: "same-origin", headers: headers,
                                                   cache: "no-cache"})
      .then(function (response) {
        if (response.status === 304 || !response.ok) { return null; }
        var tag = response.headers.get("ETag");
        return response.json().then(function (data) { return {data: data, tag: tag}; });
      })
      .then(function (answer) {
        if (!answer) { return; }
        if (answer.data.version === board.getAttribute("data-version")) {
          etag = answer.tag;  // what the board shows is current
          return;
        }
        if (busy(board)) { return; }
        refresh(board, answer.data.version, answer.tag);
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function start() {
    tick();
    explainOnDemand();
    window.setInterval(tick, 30000);
    window.setInterval(poll, POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
