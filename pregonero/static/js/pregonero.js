// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Confirm dangerous actions (cancel, discard) before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // Add a row to a formset: clone the empty form and renumber it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    event.preventDefault();
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var target = document.getElementById(prefix + "-rows");
    if (!total || !template || !target) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html;
    while (wrapper.firstElementChild) {
      target.appendChild(wrapper.firstElementChild);
    }
    total.value = String(index + 1);
    var first = target.lastElementChild && target.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  });
})();
