// Client-side search over window.COACHSITE_SEARCH; works from file:// (no fetch, no server).
// Results are built with textContent only: no record text is ever parsed as HTML.
(function () {
  "use strict";
  var index = window.COACHSITE_SEARCH || [];
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var kinds = { rep: "Rep", team: "Team", competency: "Competency", session: "Session", framework: "Framework" };
  var order = { rep: 0, team: 1, competency: 2, framework: 3, session: 4 };
  var LIMIT = 100;

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function words(text) {
    return fold(text).split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function run() {
    var terms = words(input.value);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (terms.length === 0) { status.textContent = "Type a word or two."; return; }
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var entry = index[i];
      var haystack = fold(entry.t) + " " + entry.x;
      var all = true;
      for (var j = 0; j < terms.length; j++) {
        if (haystack.indexOf(terms[j]) < 0) { all = false; break; }
      }
      if (all) { hits.push(entry); }
    }
    hits.sort(function (a, b) { return (order[a.k] - order[b.k]) || (a.t < b.t ? -1 : a.t > b.t ? 1 : 0); });
    status.textContent = hits.length === 0 ? "Nothing found." :
      hits.length + (hits.length === 1 ? " result" : " results") + (hits.length > LIMIT ? ", the first " + LIMIT + " shown" : "");
    hits.slice(0, LIMIT).forEach(function (entry) {
      var item = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = kinds[entry.k] || entry.k;
      var link = document.createElement("a");
      link.href = entry.u;
      link.textContent = entry.t;
      item.appendChild(kind);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  document.getElementById("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  input.addEventListener("input", run);
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  run();
})();
