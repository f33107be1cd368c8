/* Syntax highlighting of the agreement language: the same tokens as highlight_lines() in
   web/views/agreements.py (keep the two in step). Exposes window.CompactHighlight. */
(function () {
  "use strict";

  var KEYWORDS = {};
  ("agreement title kind binding non-binding effective until language recital party fields " +
   "role is parties except where whose intersects trigger when clause must may not unless " +
   "within of breach by costs borne shared equally text example incident at expect no duty " +
   "for and or in contains given breached one yes holidays whichever earlier later every otherwise lapsed lapse fulfilled to").split(" ").forEach(function (w) {
    KEYWORDS[w] = true;
  });

  var TOKEN = new RegExp([
    '("""[\\s\\S]*?(?:"""|$(?![\\s\\S]))|"(?:[^"\\\\\\n]|\\\\.)*"?)',           // 1 string
    "(#[^\\n]*)",                                                                 // 2 comment
    "(\\d{4}-\\d{2}-\\d{2}(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:\\d{2})?)?" +
      "|\\d+[ \\t]+(?:(?:business|calendar)[ \\t]+days?|minutes?|hours?|days?|weeks?|months?|years?)(?![A-Za-z0-9_])" +
      "|-?\\d+(?:\\.\\d+)?%?)",                                                  // 3 number
    "((?:incident|party)(?:\\.[A-Za-z_][A-Za-z0-9_]*)+)",                         // 4 path
    "((?:governing[ \\t]+law|withdrawal[ \\t]+notice)(?![A-Za-z0-9_]))",          // 5 phrase
    "([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)",                                // 6 word
    "(==|!=|<=|>=|<|>)",                                                          // 7 operator
    '([^"#A-Za-z0-9_=!<>-]+|[\\s\\S])'                                            // 8 other
  ].join("|"), "g");
  var CLASSES = [null, "tok-str", "tok-com", "tok-num", "tok-path", "tok-kw", null, "tok-op", null];

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  /* The text as escaped HTML, one string per line (a final newline gives a last empty line,
     as in a textarea). */
  function lines(text) {
    var out = [[]];
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      var token = match[0];
      if (token === "") { TOKEN.lastIndex += 1; continue; }
      var group = 1;
      while (group < match.length && match[group] === undefined) { group += 1; }
      var css = CLASSES[group];
      if (group === 6 && KEYWORDS[token]) { css = "tok-kw"; }
      var parts = token.split("\n");
      for (var i = 0; i < parts.length; i += 1) {
        if (i > 0) { out.push([]); }
        if (parts[i]) {
          out[out.length - 1].push(css ? '<span class="' + css + '">' + escapeHtml(parts[i]) +
            "</span>" : escapeHtml(parts[i]));
        }
      }
    }
    return out.map(function (parts) { return parts.join(""); });
  }

  window.CompactHighlight = { lines: lines, escape: escapeHtml };
})();
