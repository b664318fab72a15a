// Password fields: a button after each that shows what was typed and hides it again, so that
// a citizen on a phone can check a long password before sending it. The form names the
// button's two labels in its own language (data-password-show, data-password-hide); without
// JavaScript there is no button and the field stays a plain password field.
(function () {
  "use strict";
  document.querySelectorAll("form[data-password-show][data-password-hide]").forEach(function (form) {
    var showLabel = form.getAttribute("data-password-show");
    var hideLabel = form.getAttribute("data-password-hide");
    var toggles = [];

    function set(input, button, shown) {
      input.type = shown ? "text" : "password";
      button.textContent = shown ? hideLabel : showLabel;
      button.setAttribute("aria-pressed", shown ? "true" : "false");
    }

    form.querySelectorAll("input[type=password]").forEach(function (input) {
      var hadFocus = document.activeElement === input;
      var box = document.createElement("span");
      box.className = "password-box";
      input.parentNode.insertBefore(box, input);
      box.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small password-toggle";
      if (input.id) { button.setAttribute("aria-controls", input.id); }
      box.appendChild(button);
      set(input, button, false);
      // Moving a field out of its place takes the focus away from it (autofocus).
      if (hadFocus) { input.focus(); }
      button.addEventListener("click", function () {
        set(input, button, input.type === "password");
      });
      toggles.push([input, button]);
    });

    // Hidden again before the form goes: the browser then offers to save it as a password,
    // and the page it comes back to does not show it.
    form.addEventListener("submit", function () {
      toggles.forEach(function (pair) { set(pair[0], pair[1], false); });
    });
  });
})();
