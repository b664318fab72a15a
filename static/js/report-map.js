// The report form's map (needs static/js/maps.js and Leaflet): a tap or click on the map drops
// the pin, or moves it, and fills the form's two hidden fields (latitude, longitude); the pin can
// be dragged, put at the browser's own location, or removed. A form that comes back with errors
// shows the pin again from the hidden fields. Without JavaScript there is no map and the region
// selects and the address carry the place; without tiles the blank map still takes a pin.
// Every word comes from the slot's data- attributes, translated by the server. Each change of the
// pin is announced with a "lapor:pin" event from the slot (bubbling; detail: {latitude,
// longitude} as numbers, or null when the pin was removed), for scripts that follow the place.
(function () {
  "use strict";
  var slot = document.getElementById("report-map-slot");
  var latitude = document.getElementById("id_latitude");
  var longitude = document.getElementById("id_longitude");
  if (!slot || !latitude || !longitude || !window.L || !window.laporMaps) { return; }

  function text(name) { return slot.getAttribute("data-" + name) || ""; }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  function button(content) {
    var node = element("button", "button small", content);
    node.type = "button";  // never sends the form
    return node;
  }

  var label = element("p", "label", text("label"));
  label.id = "report-map-label";
  var help = element("p", "help", text("help"));
  help.id = "report-map-help";
  var box = element("div", "map report-map");
  box.id = "report-map";
  box.setAttribute("role", "region");
  box.setAttribute("aria-labelledby", "report-map-label");
  box.setAttribute("aria-describedby", "report-map-help");
  var actions = element("div", "map-actions");
  var locate = button(text("locate"));
  locate.id = "report-map-locate";
  var remove = button(text("remove"));
  remove.id = "report-map-remove";
  remove.hidden = true;
  actions.appendChild(locate);
  actions.appendChild(remove);
  var status = element("p", "map-status");
  status.id = "report-map-status";
  status.setAttribute("role", "status");
  slot.appendChild(label);
  slot.appendChild(help);
  slot.appendChild(box);
  slot.appendChild(actions);
  slot.appendChild(status);

  function say(message, isProblem) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isProblem));
  }

  var map = window.laporMaps.create(box, {}, function () { say(text("tiles-failed"), true); });
  var pinIcon = window.laporMaps.icon(slot);
  var marker = null;

  function announce(point) {
    var event;
    try {
      event = new CustomEvent("lapor:pin", { bubbles: true, detail: point });
    } catch (error) {
      return;  // a browser too old for CustomEvent: nobody there listens either
    }
    slot.dispatchEvent(event);
  }

  // Six decimals, as the report keeps them (about 11 cm).
  function place(latlng, message) {
    latlng = latlng.wrap();
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { icon: pinIcon, draggable: true, alt: text("pin"), keyboard: false });
      marker.on("dragend", function () { place(marker.getLatLng(), text("placed")); });
      marker.addTo(map);
    }
    latitude.value = latlng.lat.toFixed(6);
    longitude.value = latlng.lng.toFixed(6);
    remove.hidden = false;
    if (message !== undefined) { say(message); }
    announce({ latitude: parseFloat(latitude.value), longitude: parseFloat(longitude.value) });
  }

  function clear() {
    if (marker) { map.removeLayer(marker); marker = null; }
    latitude.value = "";
    longitude.value = "";
    remove.hidden = true;
    announce(null);
  }

  // The pin of the form's last round, if it had one that holds.
  var lat = parseFloat(latitude.value);
  var lng = parseFloat(longitude.value);
  if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
    map.setView([lat, lng], 16);
    place(L.latLng(lat, lng));
  } else {
    clear();
    map.fitBounds(window.laporMaps.INDONESIA);
  }

  map.on("click", function (event) { place(event.latlng, text("placed")); });

  // With a keyboard: the arrow keys move the map (Leaflet), Enter puts the pin at its centre.
  box.addEventListener("keydown", function (event) {
    if (event.target === box && event.key === "Enter") {
      event.preventDefault();
      place(map.getCenter(), text("placed"));
    }
  });

  remove.addEventListener("click", function () {
    clear();
    say(text("removed"));
    box.focus();
  });

  // A browser's location needs a secure page (HTTPS, or this computer); elsewhere, no button.
  if (!navigator.geolocation || window.isSecureContext === false) {
    locate.hidden = true;
  }
  var locating = false;
  locate.addEventListener("click", function () {
    if (locating) { return; }
    locating = true;
    locate.setAttribute("aria-busy", "true");
    say(text("locating"));
    navigator.geolocation.getCurrentPosition(function (position) {
      locating = false;
      locate.removeAttribute("aria-busy");
      var here = L.latLng(position.coords.latitude, position.coords.longitude);
      map.setView(here, 17);
      place(here, text("located").replace("{accuracy}", String(Math.round(position.coords.accuracy))));
    }, function (error) {
      locating = false;
      locate.removeAttribute("aria-busy");
      var reason = error.code === error.PERMISSION_DENIED ? "denied"
        : error.code === error.TIMEOUT ? "timeout" : "unavailable";
      say(text(reason), true);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
