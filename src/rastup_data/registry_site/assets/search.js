// Site search over window.RASTUP_SEARCH_INDEX (assets/search-index.js): every word typed
// must occur in an entry's name, kind, tags or text. No dependencies, no network.
(function () {
  "use strict";
  var index = window.RASTUP_SEARCH_INDEX || [];
  var root = document.body.getAttribute("data-root") || "";
  var input = document.getElementById("site-search");
  var list = document.getElementById("search-results");
  var LIMIT = 40;

  function haystack(entry) {
    if (!entry._h) {
      entry._h = [entry.n, entry.k, (entry.g || []).join(" "), entry.t].join(" ").toLowerCase();
    }
    return entry._h;
  }

  function search(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { return []; }
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var entry = index[i];
      var text = haystack(entry);
      if (words.every(function (w) { return text.indexOf(w) !== -1; })) {
        var name = entry.n.toLowerCase();
        var score = name === words.join(" ") ? 0 : (name.indexOf(words[0]) === 0 ? 1 : 2);
        hits.push({ entry: entry, score: score });
      }
    }
    hits.sort(function (a, b) { return a.score - b.score || a.entry.n.localeCompare(b.entry.n); });
    return hits.slice(0, LIMIT).map(function (hit) { return hit.entry; });
  }

  function show(entries, query) {
    list.textContent = "";
    if (!query) { list.hidden = true; return; }
    if (!entries.length) {
      var none = document.createElement("li");
      none.className = "empty";
      none.textContent = "No match for \u201c" + query + "\u201d";
      list.appendChild(none);
    }
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var anchor = document.createElement("a");
      anchor.href = root + entry.u;
      anchor.textContent = entry.n;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry.k;
      anchor.appendChild(kind);
      item.appendChild(anchor);
      list.appendChild(item);
    });
    list.hidden = false;
  }

  if (input && list) {
    input.addEventListener("input", function () { show(search(input.value.trim()), input.value.trim()); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var first = list.querySelector("a");
        if (first) { window.location.href = first.href; }
      } else if (event.key === "Escape") {
        input.value = "";
        show([], "");
      }
    });
  }

  // The data dictionary's own filter: hide rows that do not contain every word.
  var filter = document.getElementById("dictionary-filter");
  var rows = document.querySelectorAll("#dictionary tbody tr");
  var counter = document.getElementById("dictionary-count");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (counter) { counter.textContent = String(shown); }
    });
  }
})();
