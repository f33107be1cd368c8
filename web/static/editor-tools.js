/* The editor's helpers, beside editor.js: the Format button (POST /agreements/format), completion
   of names as the drafter types (names from POST /agreements/names, kept from the last answer),
   and a line of help for the keyword under the mouse or the cursor, linking to the language
   reference. Everything reaches editor.js through the textarea's own input events. */
(function () {
  "use strict";

  var root = document.querySelector("[data-editor]");
  if (!root || !window.fetch || !root.classList.contains("enhanced")) { return; }

  var textarea = root.querySelector("textarea");
  var surface = root.querySelector(".editor-surface");
  var highlight = root.querySelector(".editor-highlight");
  var listbox = document.getElementById("completions");
  var tip = document.getElementById("keyword-tip");
  var helpLine = document.getElementById("editor-help");
  var formatButton = document.getElementById("format-text");
  var formatMessage = document.getElementById("format-message");
  var formatUrl = root.getAttribute("data-format-url");
  var namesUrl = root.getAttribute("data-names-url");
  var helpUrl = root.getAttribute("data-help-url");
  var help = {};
  try { help = JSON.parse(root.getAttribute("data-keyword-help") || "{}"); } catch (e) { help = {}; }

  var MAX_OPTIONS = 8;
  var names = null;          // the last answer of the names endpoint
  var namesTimer = null;
  var options = [];          // what the list offers now
  var active = -1;
  var replaceFrom = 0;       // the offset where the word being completed starts
  var suggestPending = false;

  // ------------------------------------------------------------ talking to the server

  // The editor's own JSON request (editor.js, loaded first): one writer of the CSRF header.
  var post = window.compactEditorPost;

  var namesSent = 0, namesShown = 0;

  function loadNames() {
    namesTimer = null;
    var sequence = ++namesSent;
    post(namesUrl, textarea.value).then(function (answer) {
      // Keep the last good answer: a failed request, or one overtaken by a later one, changes
      // nothing.
      if (answer.ok && answer.body && sequence > namesShown) {
        names = answer.body;
        namesShown = sequence;
      }
    }, function () { /* offline: keep the last names */ });
  }

  // At most one request every 400 ms, even while the drafter keeps typing.
  function scheduleNames() {
    if (namesTimer === null) { namesTimer = window.setTimeout(loadNames, 400); }
  }

  // ------------------------------------------------------------ replacing text (undo kept)

  function replaceRange(start, end, text) {
    textarea.focus({ preventScroll: true });
    textarea.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand && document.execCommand("insertText", false, text); }
    catch (e) { done = false; }
    if (!done) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  // ------------------------------------------------------------ Format

  // The cursor's place counted in characters other than white space, which formatting keeps.
  function significantBefore(text, offset) {
    var n = 0;
    for (var i = 0; i < offset; i += 1) { if (!/\s/.test(text.charAt(i))) { n += 1; } }
    return n;
  }

  function offsetOfSignificant(text, count) {
    var n = 0;
    for (var i = 0; i < text.length; i += 1) {
      if (n === count) { return i; }
      if (!/\s/.test(text.charAt(i))) { n += 1; }
    }
    return text.length;
  }

  function sayFormat(text, kind) {
    formatMessage.textContent = text;
    formatMessage.className = "format-message " + (kind || "");
  }

  function format() {
    var before = textarea.value;
    var cursor = significantBefore(before, textarea.selectionStart);
    formatButton.disabled = true;
    post(formatUrl, before).then(function (answer) {
      if (answer.ok && answer.body && typeof answer.body.source === "string") {
        if (textarea.value !== before) { return; }  // typed meanwhile: leave the new text alone
        if (!answer.body.changed) {
          sayFormat("The text is already in the standard layout.", "ok");
          return;
        }
        var formatted = answer.body.source;
        var scroll = window.scrollY;
        replaceRange(0, before.length, formatted);
        var at = offsetOfSignificant(formatted, cursor);
        textarea.setSelectionRange(at, at);
        window.scrollTo(window.scrollX, scroll);
        sayFormat("Formatted: the text is in the standard layout.", "ok");
      } else {
        var message = answer.body && answer.body.error ? answer.body.error.message
          : "The text was not formatted: the server answered " + answer.status + ".";
        sayFormat(message, "bad");
      }
    }, function () {
      sayFormat("The text was not formatted: the server could not be reached.", "bad");
    }).then(function () { formatButton.disabled = false; });
  }

  // ------------------------------------------------------------ where things are on screen

  function lineAndColumn(offset) {
    var text = textarea.value;
    var line = 1, start = 0;
    for (var i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
      line += 1;
      start = i + 1;
    }
    return { line: line, column: offset - start };
  }

  // The text node and offset of a column (0-based) in the highlighted copy of a line.
  function pointIn(lineNumber, column) {
    var line = highlight.querySelector('.line[data-n="' + lineNumber + '"]');
    if (!line) { return null; }
    var walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    var left = column, node = null, last = null;
    while ((node = walker.nextNode())) {
      last = node;
      if (left <= node.length) { return { node: node, offset: left, line: line }; }
      left -= node.length;
    }
    return last ? { node: last, offset: last.length, line: line } : { node: null, line: line };
  }

  function caretBox(offset) {
    var where = lineAndColumn(offset);
    var point = pointIn(where.line, where.column);
    if (!point) { return null; }
    if (!point.node) {
      var box = point.line.getBoundingClientRect();
      var pad = parseFloat(window.getComputedStyle(point.line).paddingLeft) || 0;
      return { left: box.left + pad, bottom: box.bottom, top: box.top };
    }
    var range = document.createRange();
    range.setStart(point.node, point.offset);
    range.setEnd(point.node, point.offset);
    var rects = range.getClientRects();
    var r = rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
    return { left: r.left, bottom: r.bottom, top: r.top };
  }

  function place(element, box) {
    var base = surface.getBoundingClientRect();
    var left = Math.max(0, Math.min(box.left - base.left, base.width - 260));
    element.style.left = left + "px";
    element.style.top = (box.bottom - base.top + 2) + "px";
  }

  // ------------------------------------------------------------ completion

  var KINDS = [["parties", "party"], ["roles", "role"], ["triggers", "trigger"],
               ["clauses", "clause"]];

  function candidates(prefix, path) {
    var out = [];
    var lower = prefix.toLowerCase();
    function consider(name, kind, detail) {
      if (name === prefix || name.toLowerCase().indexOf(lower) !== 0) { return; }
      if (out.some(function (o) { return o.name === name; })) { return; }
      out.push({ name: name, kind: kind, detail: detail || "" });
    }
    if (!names) { return out; }
    if (path === "incident") {
      names.fields.forEach(function (f) { consider(f.name, "field", f.detail); });
      return out;
    }
    if (path === "party") {
      names.attributes.forEach(function (a) { consider(a.name, "attribute", ""); });
      return out;
    }
    KINDS.forEach(function (pair) {
      (names[pair[0]] || []).forEach(function (n) { consider(n.name, pair[1], n.detail); });
    });
    (names.keywords || []).forEach(function (k) { consider(k, "keyword", ""); });
    return out;
  }

  // Whether the character before an offset is in a string or a comment (as highlighted).
  function inTextOrComment(offset) {
    var where = lineAndColumn(offset);
    var element = elementOfCharacter(where.line, where.column - 1);
    return !!(element && element.classList &&
              (element.classList.contains("tok-str") || element.classList.contains("tok-com")));
  }

  // The word being typed just before the cursor, and whether it follows incident. or party.
  function wordBeforeCursor() {
    var end = textarea.selectionStart;
    if (end !== textarea.selectionEnd || inTextOrComment(end)) { return null; }
    var before = textarea.value.slice(Math.max(0, end - 200), end);
    var path = /(?:^|[^\w.])(incident|party)\.([A-Za-z0-9_]*)$/.exec(before);
    if (path) { return { start: end - path[2].length, prefix: path[2], path: path[1] }; }
    var word = /(?:^|[^\w.-])([A-Za-z_][A-Za-z0-9_-]*)$/.exec(before);
    if (word && word[1].length >= 2) {
      return { start: end - word[1].length, prefix: word[1], path: null };
    }
    return null;
  }

  function isOpen() { return !listbox.hidden; }

  function close() {
    listbox.hidden = true;
    listbox.textContent = "";
    options = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function setActive(index) {
    active = index;
    var items = listbox.querySelectorAll("[role=option]");
    for (var i = 0; i < items.length; i += 1) {
      items[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (items[index]) {
      textarea.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    }
  }

  function sameOptions(found, start) {
    return isOpen() && start === replaceFrom && found.length === options.length &&
      found.every(function (o, i) { return o.name === options[i].name; });
  }

  function open(found, start) {
    found = found.slice(0, MAX_OPTIONS);
    if (sameOptions(found, start)) { return; }  // the same list: keep the chosen option
    replaceFrom = start;
    options = found;
    listbox.textContent = "";
    options.forEach(function (o, i) {
      var item = document.createElement("li");
      item.id = "completion-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.className = "completion-name";
      name.textContent = o.name;
      var kind = document.createElement("span");
      kind.className = "completion-kind";
      kind.textContent = o.detail ? o.kind + " · " + o.detail : o.kind;
      item.appendChild(name);
      item.appendChild(kind);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep the focus in the text
        accept(i);
      });
      listbox.appendChild(item);
    });
    listbox.hidden = false;
    setActive(0);
    var box = caretBox(start);
    if (box) { place(listbox, box); }
  }

  // Whether what is typed since the list opened is still the start of the option chosen.
  function stillFits() {
    var typed = textarea.value.slice(replaceFrom, textarea.selectionStart);
    var chosen = options[active];
    return !!chosen && textarea.selectionStart === textarea.selectionEnd &&
      /^[A-Za-z0-9_-]*$/.test(typed) &&
      chosen.name.toLowerCase().indexOf(typed.toLowerCase()) === 0;
  }

  function accept(index) {
    var chosen = options[index];
    var end = textarea.selectionStart;
    close();
    if (chosen) { replaceRange(replaceFrom, end, chosen.name); }
  }

  function suggest() {
    var word = wordBeforeCursor();
    if (!word) { close(); return; }
    var found = candidates(word.prefix, word.path);
    if (!found.length) { close(); return; }
    open(found, word.start);
  }

  textarea.addEventListener("input", function (event) {
    scheduleNames();
    sayFormat("", "");
    // Only a character typed opens the list: not a paste, a fill or an accepted completion.
    var typed = event.inputType === "insertText" && event.data && event.data.length === 1;
    if (typed) {
      if (!suggestPending) {  // one look for a burst of keys, after editor.js has drawn them
        suggestPending = true;
        window.requestAnimationFrame(function () {
          window.requestAnimationFrame(function () { suggestPending = false; suggest(); });
        });
      }
    } else if (isOpen()) {
      close();
    }
  });

  textarea.addEventListener("keydown", function (event) {
    if (!isOpen()) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      setActive((active + step + options.length) % options.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      if (!stillFits()) { close(); return; }  // the list is behind the text: Enter is Enter
      if (active >= 0 && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        accept(active);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" ||
               event.key === "End" || event.key === "PageUp" || event.key === "PageDown") {
      close();
    }
  });
  textarea.addEventListener("blur", close);
  window.addEventListener("resize", function () {
    if (isOpen()) { var box = caretBox(replaceFrom); if (box) { place(listbox, box); } }
    tip.hidden = true;
  });
  textarea.addEventListener("mousedown", close);

  // ------------------------------------------------------------ keyword help

  function keywordOf(element) {
    if (!element || !element.classList || !element.classList.contains("tok-kw")) { return null; }
    var word = element.textContent.replace(/\s+/g, " ");
    return Object.prototype.hasOwnProperty.call(help, word) ? word : null;
  }

  function helpLink(word) {
    var link = document.createElement("a");
    link.href = helpUrl + "#" + help[word][1];
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "More on \u2018" + word + "\u2019 in the language reference";
    return link;
  }

  function explain(container, word) {
    container.textContent = "";
    var code = document.createElement("code");
    code.textContent = word;
    container.appendChild(code);
    container.appendChild(document.createTextNode(" " + help[word][0] + " "));
    container.appendChild(helpLink(word));
  }

  var tipWord = null, tipTimer = null, hoverFrame = null, lastPoint = null;

  function showTip(element, word) {
    window.clearTimeout(tipTimer);
    if (tipWord !== word || tip.hidden) {
      explain(tip, word);
      tipWord = word;
    }
    tip.hidden = false;
    var r = element.getBoundingClientRect();
    place(tip, { left: r.left, bottom: r.bottom, top: r.top });
  }

  function hideTipSoon() {
    window.clearTimeout(tipTimer);
    tipTimer = window.setTimeout(function () { tip.hidden = true; tipWord = null; }, 300);
  }

  function hover() {
    hoverFrame = null;
    if (!lastPoint || isOpen()) { return; }
    var stack = document.elementsFromPoint(lastPoint.x, lastPoint.y);
    var found = null;
    for (var i = 0; i < stack.length && !found; i += 1) {
      if (highlight.contains(stack[i]) && keywordOf(stack[i])) { found = stack[i]; }
    }
    if (found) { showTip(found, keywordOf(found)); } else if (!tip.hidden) { hideTipSoon(); }
  }

  textarea.addEventListener("mousemove", function (event) {
    lastPoint = { x: event.clientX, y: event.clientY };
    if (hoverFrame === null) { hoverFrame = window.requestAnimationFrame(hover); }
  });
  textarea.addEventListener("mouseleave", hideTipSoon);
  tip.addEventListener("mouseenter", function () { window.clearTimeout(tipTimer); });
  tip.addEventListener("mouseleave", hideTipSoon);

  // The keyword at the cursor, for the keyboard: said in the line under the editor.
  function elementOfCharacter(lineNumber, column) {
    var line = highlight.querySelector('.line[data-n="' + lineNumber + '"]');
    if (!line || column < 0) { return null; }
    var walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    var left = column, node;
    while ((node = walker.nextNode())) {
      if (left < node.length) { return node.parentNode; }
      left -= node.length;
    }
    return null;
  }

  function keywordAtCursor() {
    var where = lineAndColumn(textarea.selectionStart);
    return keywordOf(elementOfCharacter(where.line, where.column)) ||
      keywordOf(elementOfCharacter(where.line, where.column - 1));
  }

  var shownHelp = null;
  function helpAtCursor() {
    if (document.activeElement !== textarea) { return; }
    var word = keywordAtCursor();
    if (word === shownHelp) { return; }
    shownHelp = word;
    if (word) { explain(helpLine, word); } else { helpLine.textContent = defaultHelp; }
  }

  ["keyup", "click", "focus"].forEach(function (name) {
    textarea.addEventListener(name, function () {
      window.requestAnimationFrame(function () { window.requestAnimationFrame(helpAtCursor); });
    });
  });

  // ------------------------------------------------------------ start

  var defaultHelp = helpLine.getAttribute("data-default") || "";
  helpLine.textContent = defaultHelp;
  helpLine.hidden = false;
  formatButton.hidden = false;
  formatButton.addEventListener("click", format);
  loadNames();
})();
