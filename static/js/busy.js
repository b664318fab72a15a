// A form that sends files (enctype="multipart/form-data") or says data-busy shows that it is
// sending: its submit buttons are disabled (no second report from a second tap while a slow
// upload runs), the button's text becomes its data-busy-text (or the form's, or the page's in
// <body data-busy-text>, in the page's language), and the form says aria-busy="true".
// The buttons come back when the page is shown again from the back/forward cache, and after
// RELEASE_MS in any case (or the form's data-busy-timeout, in seconds), so a request that
// failed without a new page never blocks a retry.
(function () {
  "use strict";
  var RELEASE_MS = 30000;
  var pageText = document.body ? document.body.getAttribute("data-busy-text") : "";

  function wanted(form) {
    return form.hasAttribute("data-busy") ||
      (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
  }

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return (element.tagName === "BUTTON" || element.tagName === "INPUT") && element.type === "submit";
    });
  }

  function label(button) {
    // The visible button that speaks for the form: one with its own busy text, or the one used.
    return button.getAttribute("data-busy-text") || "";
  }

  function setText(button, text) {
    if (button.tagName === "INPUT") { button.value = text; } else { button.textContent = text; }
  }

  function release(form) {
    if (!form.busyState) { return; }
    clearTimeout(form.busyState.timer);
    form.busyState.buttons.forEach(function (saved) {
      saved.button.disabled = saved.disabled;
      if (saved.html !== null) { saved.button.innerHTML = saved.html; }
      if (saved.value !== null) { saved.button.value = saved.value; }
    });
    form.removeAttribute("aria-busy");
    form.busyState = null;
  }

  function busy(form, submitter) {
    if (form.busyState) { return; }
    var buttons = submitButtons(form);
    var speaker = buttons.filter(label)[0] || submitter || null;
    var text = (speaker && label(speaker)) || form.getAttribute("data-busy-text") || pageText;
    var saved = buttons.map(function (button) {
      var state = {
        button: button,
        disabled: button.disabled,
        html: button.tagName === "BUTTON" ? button.innerHTML : null,
        value: button.tagName === "INPUT" ? button.value : null
      };
      button.disabled = true;
      if (button === speaker && text) { setText(button, text); }
      return state;
    });
    form.setAttribute("aria-busy", "true");
    var seconds = parseFloat(form.getAttribute("data-busy-timeout"));
    var wait = seconds > 0 ? seconds * 1000 : RELEASE_MS;
    form.busyState = { buttons: saved, timer: setTimeout(function () { release(form); }, wait) };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !wanted(form)) { return; }
    var submitter = event.submitter || null;
    // Later, not now: the form's data is gathered after this event, and a disabled button
    // would not send its name (nor would the form be sent if a handler stopped it).
    setTimeout(function () {
      if (!event.defaultPrevented) { busy(form, submitter); }
    }, 0);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.forms, release);
  });
})();
