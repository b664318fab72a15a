// Marks the page as one where scripts run, before it is drawn (the CSS shows or hides the parts
// that need them). A file of its own, so that the Content-Security-Policy allows no inline script.
document.documentElement.className += " js";
