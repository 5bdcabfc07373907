// The signature pad (helpdesk/signature.py, SignatureWidget): draw on the <canvas> with a
// finger, a pen or the mouse (pointer events), "Clear" wipes it; after every stroke the drawing
// goes into the hidden input as a PNG data URL, which SignatureField checks on the server.
// No inline handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("[data-signature-canvas]");
    var input = pad.querySelector("[data-signature-input]");
    var clear = pad.querySelector("[data-signature-clear]");
    if (!canvas || !input) return;
    if (pad.signatureResize) { pad.signatureResize(); return; } // already set up: refit an empty pad
    pad.setAttribute("data-signature-ready", "");
    var ctx = canvas.getContext("2d");
    var drawing = false, inked = false, last = null;

    function resize() {
      // the bitmap follows the box's size and the screen's pixel density; resizing wipes it
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var rect = canvas.getBoundingClientRect();
      var width = Math.max(1, Math.round(rect.width * ratio));
      var height = Math.max(1, Math.round(rect.height * ratio));
      if (canvas.width === width && canvas.height === height) return;
      canvas.width = width;
      canvas.height = height;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.2;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111827";
      reset();
    }

    function reset() {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
      inked = false;
      input.value = "";
      pad.classList.remove("signed");
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    function save() {
      if (!inked) return;
      input.value = canvas.toDataURL("image/png");
      pad.classList.add("signed");
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) return; // left button, touch or pen
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2); // a dot for a tap
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      inked = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      if (!events.length) events = [event];
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      for (var i = 0; i < events.length; i++) {
        last = point(events[i]);
        ctx.lineTo(last.x, last.y);
      }
      ctx.stroke();
      inked = true;
    });
    function stop(event) {
      if (!drawing) return;
      drawing = false;
      if (canvas.releasePointerCapture && event.pointerId !== undefined) {
        try { canvas.releasePointerCapture(event.pointerId); } catch (e) { /* already released */ }
      }
      save();
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("lostpointercapture", stop);
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        reset();
      });
    }
    var form = input.form;
    if (form) form.addEventListener("submit", save);
    // a rotated tablet or a resized window changes the box: only an empty pad is resized
    pad.signatureResize = function () { if (!inked) resize(); };
    window.addEventListener("resize", pad.signatureResize);
    resize();
  }

  function init(root) {
    var pads = (root || document).querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < pads.length; i++) setUp(pads[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // a pad that arrives later (an htmx swap, a <details> opened for the first time, a panel
  // whose form action-panels.js fetched)
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
  document.addEventListener("helpdesk:panel-loaded", function (event) { init(event.target); });
  document.addEventListener("toggle", function (event) { init(event.target); }, true);
})();
