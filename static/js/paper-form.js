// The paper forms (templates/complaints/paper/): a button with data-print opens the browser's
// print dialog. No inline handler: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
