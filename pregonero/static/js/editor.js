// The piece's text editor: htmx re-checks the text while it is typed
// (hx-trigger on #checks-panel, debounced 400 ms); this module applies a
// suggestion with one click and says so. Without JavaScript the panel is
// rendered with the page and on «Revisar el lenguaje sin guardar».
(function () {
  "use strict";
  var panel = document.getElementById("checks-panel");
  if (!panel) return;
  var status = document.getElementById("checks-status");
  panel.classList.add("chk-js");

  function say(key) {
    if (status) status.textContent = status.getAttribute("data-" + key) || "";
  }

  // The server counts offsets in code points; a JavaScript string in UTF-16
  // units (an emoji takes two). Convert a code-point offset into an index.
  function toIndex(text, codePoints) {
    var index = 0;
    for (var n = 0; n < codePoints && index < text.length; n++) {
      var unit = text.charCodeAt(index);
      index += unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length ? 2 : 1;
    }
    return index;
  }

  function recheck(field) {
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-apply]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-field"));
    if (!field) return;
    var value = field.value;
    var start = toIndex(value, parseInt(button.getAttribute("data-start"), 10));
    var end = toIndex(value, parseInt(button.getAttribute("data-end"), 10));
    var details = field.closest("details");
    if (details) details.open = true;
    if (value.slice(start, end) !== button.getAttribute("data-original")) {
      say("stale");
      recheck(field);
      return;
    }
    field.setRangeText(button.getAttribute("data-replacement"), start, end, "end");
    field.focus();
    say("applied");
    recheck(field);
  });

  // A panel answer that is not the panel (the session ended and the request
  // was sent to the login page) or an error never replaces the findings.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target !== panel) return;
    var url = event.detail.xhr.responseURL || "";
    if (url.indexOf(panel.getAttribute("hx-post")) === -1 || event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = false;
      say("failed");
    }
  });
  document.body.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt === panel) say("failed");
  });
})();
