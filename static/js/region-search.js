// Suggests regions as one types in a region box (an input with data-region-search, the URL of
// the regions API): a <datalist> filled from the API's search (?q=), asked once typing pauses,
// each answer kept for the page's life. Without JavaScript the box still takes a name or a code,
// which the server resolves; a suggestion's value is a text the server resolves to that region
// alone ("Batu Ampar, Kota Batam").
(function () {
  "use strict";
  if (!window.fetch || !("list" in document.createElement("input"))) { return; }
  var PAUSE_MS = 250;
  var MIN_LENGTH = 2;

  function setUp(input, position) {
    var url = input.getAttribute("data-region-search");
    var list = document.createElement("datalist");
    list.id = (input.id || "region-" + position) + "-suggestions";
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("list", list.id);
    var timer = null;
    var shown = "";
    var answers = {};
    var pending = null;

    function show(text, regions) {
      shown = text;
      while (list.firstChild) { list.removeChild(list.firstChild); }
      regions.forEach(function (region) {
        var option = document.createElement("option");
        option.value = region.label;
        option.textContent = region.level_display;
        list.appendChild(option);
      });
    }

    function ask(text) {
      if (answers.hasOwnProperty(text)) { show(text, answers[text]); return; }
      if (pending) { pending.abort(); }
      pending = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(text), {
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
        signal: pending ? pending.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (regions) {
          answers[text] = regions;
          if (input.value.trim() === text) { show(text, regions); }
        })
        .catch(function () { /* aborted or offline: the box still works without suggestions */ });
    }

    input.addEventListener("input", function () {
      var text = input.value.trim();
      window.clearTimeout(timer);
      if (text.length < MIN_LENGTH || text === shown) { return; }
      timer = window.setTimeout(function () { ask(text); }, PAUSE_MS);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-region-search]"), setUp);
})();
