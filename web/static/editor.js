/* The agreement editor: highlighted text behind a transparent textarea, line numbers, live
   checking against the server and running the agreement's examples. Without this script the
   page is a plain textarea whose problems the server lists after saving. */
(function () {
  "use strict";

  var root = document.querySelector("[data-editor]");
  if (!root || !window.CompactHighlight || !window.fetch) { return; }

  var textarea = root.querySelector("textarea");
  var highlight = root.querySelector(".editor-highlight");
  var form = textarea.form;
  var status = document.getElementById("check-status");
  var list = document.getElementById("diagnostics");
  var empty = document.getElementById("diagnostics-empty");
  var runButton = document.getElementById("run-examples");
  var examplesPanel = document.getElementById("examples-panel");
  var examplesOut = document.getElementById("example-results");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var checkUrl = root.getAttribute("data-check-url");
  var examplesUrl = root.getAttribute("data-examples-url");

  var marks = {};            // line number -> "error" | "warning"
  var checkTimer = null;
  var checkSequence = 0;     // only the answer to the latest request is shown
  var saved = textarea.value;
  var unsaved = root.hasAttribute("data-unsaved");  // sent back after a refused save
  var submitting = false;
  var frame = null;

  root.classList.add("enhanced");
  runButton.hidden = false;

  // ------------------------------------------------------------ drawing

  function draw() {
    frame = null;
    var html = window.CompactHighlight.lines(textarea.value);
    var out = [];
    for (var i = 0; i < html.length; i += 1) {
      var n = i + 1;
      var mark = marks[n] ? " mark-" + marks[n] : "";
      out.push('<span class="line' + mark + '" data-n="' + n + '">' + html[i] + "</span>");
    }
    highlight.innerHTML = out.join("");
    syncScroll();
  }

  function scheduleDraw() {
    if (frame === null) { frame = window.requestAnimationFrame(draw); }
  }

  function syncScroll() {
    highlight.scrollTop = textarea.scrollTop;
    highlight.scrollLeft = textarea.scrollLeft;
  }

  // ------------------------------------------------------------ talking to the server

  function post(url, source) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf },
      body: JSON.stringify({ source: source })
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      }, function () {
        return { ok: false, status: response.status, body: null };
      });
    });
  }

  window.compactEditorPost = post;  // editor-tools.js (Format, completion) asks the same way

  function failure(answer) {
    if (answer.body && answer.body.error) { return answer.body.error.message; }
    return "the server answered " + answer.status;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = "check-status " + (kind || "");
  }

  // ------------------------------------------------------------ diagnostics

  function label(d) {
    var where = d.line ? "line " + d.line + ", column " + d.column + ": " : "";
    return where + d.severity + ": " + d.message;
  }

  function showDiagnostics(diagnostics) {
    marks = {};
    list.textContent = "";
    diagnostics.forEach(function (d) {
      if (d.line && marks[d.line] !== "error") { marks[d.line] = d.severity; }
      var item = document.createElement("li");
      item.className = "diag diag-" + d.severity;
      var button = document.createElement(d.line ? "button" : "span");
      if (d.line) {
        button.type = "button";
        button.className = "diag-jump";
        button.setAttribute("data-line", d.line);
        button.setAttribute("data-column", d.column);
        button.setAttribute("data-end-line", d.end_line);
        button.setAttribute("data-end-column", d.end_column);
      }
      button.textContent = label(d);
      item.appendChild(button);
      var snippet = (d.rendered || "").split("\n").slice(1).join("\n");
      if (snippet) {
        var pre = document.createElement("pre");
        pre.className = "snippet";
        pre.textContent = snippet;
        item.appendChild(pre);
      }
      list.appendChild(item);
    });
    empty.hidden = diagnostics.length > 0;
    scheduleDraw();
  }

  function check() {
    var sequence = ++checkSequence;
    setStatus("Checking…", "busy");
    post(checkUrl, textarea.value).then(function (answer) {
      if (sequence !== checkSequence) { return; }
      if (!answer.ok || !answer.body) {
        setStatus("Not checked: " + failure(answer), "warn");
        return;
      }
      var b = answer.body;
      setStatus(plural(b.errors, "error") + ", " + plural(b.warnings, "warning"),
                b.errors ? "bad" : (b.warnings ? "warn" : "ok"));
      showDiagnostics(b.diagnostics || []);
    }, function () {
      if (sequence === checkSequence) {
        setStatus("Not checked: the server could not be reached", "warn");
      }
    });
  }

  function scheduleCheck() {
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, 400);
  }

  // Jump to a diagnostic's place: select its span and bring its line into view.
  function offsetOf(line, column) {
    var text = textarea.value;
    var offset = 0;
    for (var n = 1; n < line; n += 1) {
      var next = text.indexOf("\n", offset);
      if (next < 0) { return text.length; }
      offset = next + 1;
    }
    var end = text.indexOf("\n", offset);
    if (end < 0) { end = text.length; }
    return Math.min(offset + Math.max(column - 1, 0), end);
  }

  function jump(button) {
    var line = parseInt(button.getAttribute("data-line"), 10);
    var column = parseInt(button.getAttribute("data-column"), 10) || 1;
    var endLine = parseInt(button.getAttribute("data-end-line"), 10) || line;
    var endColumn = parseInt(button.getAttribute("data-end-column"), 10) || column;
    var start = offsetOf(line, column);
    var end = endLine === line && endColumn > column ? offsetOf(line, endColumn) : start;
    textarea.focus({ preventScroll: true });
    textarea.setSelectionRange(start, end);
    var target = highlight.querySelector('.line[data-n="' + line + '"]');
    if (target) { target.scrollIntoView({ block: "center" }); }
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest(".diag-jump");
    if (button) { jump(button); }
  });

  // ------------------------------------------------------------ examples

  function showExamples(answer) {
    examplesPanel.hidden = false;
    examplesOut.textContent = "";
    var summary = document.createElement("p");
    examplesOut.appendChild(summary);
    if (!answer.ok || !answer.body) {
      summary.textContent = "The examples did not run: " + failure(answer) + ".";
      summary.className = "examples-summary warn";
      return;
    }
    var b = answer.body;
    if (b.errors) {
      summary.textContent = "The text has " + plural(b.errors.length, "error") +
        ", so its examples did not run. Fix the problems listed above first.";
      summary.className = "examples-summary bad";
      return;
    }
    if (!b.results.length) {
      summary.textContent = "This agreement has no examples yet. Add an example block to test " +
        "who must act, by when.";
      summary.className = "examples-summary warn";
      return;
    }
    summary.textContent = b.passed + " passed, " + b.failed + " failed";
    summary.className = "examples-summary " + (b.failed ? "bad" : "ok");
    var ul = document.createElement("ul");
    ul.className = "example-list";
    b.results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "example " + (r.passed ? "example-pass" : "example-fail");
      var badge = document.createElement("span");
      badge.className = "badge " + (r.passed ? "pass" : "fail");
      badge.textContent = r.passed ? "pass" : "fail";
      li.appendChild(badge);
      var name = document.createElement("button");
      name.type = "button";
      name.className = "diag-jump example-name";
      name.setAttribute("data-line", r.line);
      name.setAttribute("data-column", 1);
      name.textContent = r.name + " (line " + r.line + ")";
      name.addEventListener("click", function () { jump(name); });
      li.appendChild(name);
      if (r.messages.length) {
        var messages = document.createElement("ul");
        messages.className = "example-messages";
        r.messages.forEach(function (m) {
          var item = document.createElement("li");
          item.textContent = m;
          messages.appendChild(item);
        });
        li.appendChild(messages);
      }
      ul.appendChild(li);
    });
    examplesOut.appendChild(ul);
  }

  runButton.addEventListener("click", function () {
    runButton.disabled = true;
    runButton.textContent = "Running…";
    post(examplesUrl, textarea.value).then(showExamples, function () {
      showExamples({ ok: false, status: 0, body: { error: { message:
        "the server could not be reached" } } });
    }).then(function () {
      runButton.disabled = false;
      runButton.textContent = "Run examples";
      examplesPanel.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
  });

  // ------------------------------------------------------------ editing

  textarea.addEventListener("input", function () {
    scheduleDraw();
    scheduleCheck();
  });
  textarea.addEventListener("scroll", syncScroll);
  textarea.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (unsaved || textarea.value !== saved)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  draw();
  check();
})();
