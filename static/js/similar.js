// Similar reports while filing (complaints.similar; GET /api/v1/complaints/similar/). Once the
// title is long enough and the category and the regency/city are chosen (with the pin, when
// there is one), the open public reports that look like the same problem are listed in
// #similar-slot, each with a button that supports it instead (POST
// /api/v1/complaints/<number>/support/, the support the report's page gives) and then says that
// no new report is needed. Filing anyway is always possible: the list only adds to the form.
// Without JavaScript nothing is shown and the form works as before. The words come from the
// slot's data- attributes, in the page's language.
(function () {
  "use strict";
  var slot = document.getElementById("similar-slot");
  if (!slot || !window.fetch || !window.URLSearchParams) { return; }
  var searchUrl = slot.getAttribute("data-similar-url");
  var supportUrl = slot.getAttribute("data-support-url");
  var minLength = parseInt(slot.getAttribute("data-min-length"), 10) || 10;
  var language = document.documentElement.lang || "id";
  var title = document.getElementById("id_title");
  var category = document.getElementById("id_category");
  var regency = document.getElementById("id_regency");
  var latitude = document.getElementById("id_latitude");
  var longitude = document.getElementById("id_longitude");
  if (!searchUrl || !supportUrl || !title || !category || !regency) { return; }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var WAIT_MS = 500;
  var timer = null;
  var controller = null;
  var shownQuery = "";
  var asked = 0;
  // Reports supported from this page, by tracking number: their count as the server gave it
  // and what was said, shown again when the list is drawn anew.
  var supported = {};
  // Says how many reports are offered, to screen readers: a live region that stays in the page
  // (one drawn with the list would not be read out).
  var announcer = element("p", "visually-hidden");
  announcer.setAttribute("role", "status");
  slot.insertAdjacentElement("afterend", announcer);

  function words(name, values) {
    var text = slot.getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function currentQuery() {
    var q = title.value.trim();
    if (q.length < minLength || !category.value || !regency.value) { return ""; }
    var params = new URLSearchParams();
    params.set("q", q.slice(0, 200));
    params.set("region", regency.value);
    params.set("category", category.value);
    if (latitude && longitude && latitude.value && longitude.value) {
      params.set("lat", latitude.value);
      params.set("long", longitude.value);
    }
    return params.toString();
  }

  function clear() {
    slot.textContent = "";
    announcer.textContent = "";
    shownQuery = "";
  }

  function look() {
    var query = currentQuery();
    if (!query) {
      if (controller) { controller.abort(); }
      asked += 1;
      clear();
      return;
    }
    if (query === shownQuery) { return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var mine = (asked += 1);
    fetch(searchUrl + "?" + query, {
      headers: { "Accept": "application/json", "Accept-Language": language },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (mine !== asked) { return; }
        shownQuery = query;
        show(body && body.results ? body.results : []);
      })
      .catch(function () { /* nothing is offered; the form works as before */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(look, WAIT_MS);
  }

  function show(results) {
    slot.textContent = "";
    announcer.textContent = results.length ? words("found", { count: results.length }) : "";
    if (!results.length) { return; }
    var section = element("section", "similar card");
    section.setAttribute("aria-labelledby", "similar-heading");
    var heading = element("h2", "similar-heading", words("heading"));
    heading.id = "similar-heading";
    section.appendChild(heading);
    section.appendChild(element("p", "help", words("intro")));
    var list = element("ul", "similar-list");
    results.forEach(function (report) { list.appendChild(item(report)); });
    section.appendChild(list);
    section.appendChild(element("p", "note similar-anyway", words("anyway")));
    slot.appendChild(section);
  }

  function item(report) {
    var number = report.tracking_number;
    var li = element("li", "similar-item");
    li.setAttribute("data-tracking-number", number);
    var link = element("a", "similar-title", report.title);
    link.href = report.public_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.appendChild(element("span", "visually-hidden", " " + words("new-tab")));
    li.appendChild(link);
    var meta = element("p", "meta");
    meta.appendChild(element("span", "status status-" + report.status.toLowerCase(), report.status_display));
    var submitted = new Date(report.submitted_at);
    var day = isNaN(submitted.getTime()) ? "" : submitted.toLocaleDateString(language, { day: "numeric", month: "long", year: "numeric" });
    meta.appendChild(document.createTextNode(" " + report.region_name + " · " + words("submitted", { date: day }) + " · "));
    var known = supported[number];
    var count = element("span", "similar-count", words("supporters", { count: known ? known.count : report.support_count }));
    meta.appendChild(count);
    li.appendChild(meta);
    var done = element("p", "similar-done");
    done.setAttribute("role", "status");
    if (known) {
      finished(done, known.text, report.public_url);
    } else {
      var button = element("button", "button small similar-support", words("support"));
      button.type = "button";
      button.addEventListener("click", function () { support(report, button, done, count); });
      li.appendChild(button);
    }
    li.appendChild(done);
    return li;
  }

  function finished(done, text, url) {
    done.textContent = text + " ";
    var follow = element("a", "", words("follow"));
    follow.href = url;
    follow.target = "_blank";
    follow.rel = "noopener";
    follow.appendChild(element("span", "visually-hidden", " " + words("new-tab")));
    done.appendChild(follow);
    done.className = "similar-done alert success";
  }

  function support(report, button, done, count) {
    button.disabled = true;
    button.textContent = words("supporting");
    done.textContent = "";
    done.className = "similar-done";
    var url = supportUrl.replace("/TRACKING/", "/" + encodeURIComponent(report.tracking_number) + "/");
    fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "Accept-Language": language },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { status: response.status, body: body || {} }; },
          function () { return { status: response.status, body: {} }; }
        );
      })
      .then(function (answer) {
        if (answer.status !== 200 && answer.status !== 201) {
          failed(button, done, answer.body.detail || words("failed"));
          return;
        }
        // 201: counted now; 200: this address supported it before.
        var known = {
          count: typeof answer.body.support_count === "number" ? answer.body.support_count : report.support_count,
          text: words(answer.status === 201 ? "done" : "already")
        };
        supported[report.tracking_number] = known;
        count.textContent = words("supporters", { count: known.count });
        button.remove();
        finished(done, known.text, report.public_url);
      })
      .catch(function () { failed(button, done, words("failed")); });
  }

  function failed(button, done, message) {
    button.disabled = false;
    button.textContent = words("support");
    done.textContent = message;
    done.className = "similar-done error";
  }

  title.addEventListener("input", schedule);
  [category, regency].forEach(function (select) { select.addEventListener("change", schedule); });
  // A new province empties the regency/city (report-form.js), without a "change" of its own.
  var province = document.getElementById("id_province");
  if (province) { province.addEventListener("change", schedule); }
  // The pin: the map's script (report-map.js) announces each change with "lapor:pin".
  document.addEventListener("lapor:pin", schedule);
  // A form drawn again (with errors, or by a no-JavaScript button) may be filled already.
  look();
})();
