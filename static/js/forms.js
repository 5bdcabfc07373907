// Small form behaviours, without inline handlers (the Content-Security-Policy forbids them):
// a <select data-submit-on-change> submits its form when changed (the language switcher).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-submit-on-change") && el.form) {
      el.form.submit();
    }
  });
})();
