/* The complaint page's action panels (complaints/templatetags/action_panels.py): a folded
   panel fetches its form the first time it opens, from the action's own URL, and puts it in
   place of its link — which, without JavaScript or when the fetch fails, opens the form on a
   page of its own. A 409 (the action closed since the page was shown) shows its message. */
(function () {
  "use strict";

  function load(panel) {
    var url = panel.getAttribute("data-panel");
    var link = panel.querySelector(".panel-open");
    if (!url || !link || panel.getAttribute("data-loading")) return;
    panel.setAttribute("data-loading", "1");
    panel.setAttribute("aria-busy", "true");
    fetch(url, { headers: { "X-Action-Panel": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok && response.status !== 409) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        link.insertAdjacentHTML("afterend", html);
        link.remove();
        panel.removeAttribute("data-panel");
        panel.dispatchEvent(new CustomEvent("helpdesk:panel-loaded", { bubbles: true }));
      })
      .catch(function () { /* the link stays: it opens the form's own page */ })
      .then(function () {
        panel.removeAttribute("data-loading");
        panel.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("toggle", function (event) {
    var panel = event.target;
    if (panel.open && panel.matches && panel.matches("details[data-panel]")) load(panel);
  }, true);
})();
