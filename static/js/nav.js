// The main navigation collapses behind a "Menu" button on narrow screens: helpdesk.css hides
// the links and tools that follow a .navtoggle whose aria-expanded is "false"; this file only
// flips aria-expanded. Loaded in <head>, not deferred, so the `js` class is on <html> before
// the first paint and a phone never sees the whole menu flash open; the handlers are delegated,
// so the button need not exist yet. Without JavaScript nothing collapses (the CSS collapses
// only under html.js). No inline handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".navtoggle") : null;
    if (button) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    }
  });

  // Escape closes an open menu (on a narrow screen, where the button shows) and gives the
  // focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var button = document.querySelector('.navtoggle[aria-expanded="true"]');
    if (button && button.offsetParent !== null) {
      setOpen(button, false);
      button.focus();
    }
  });
})();
