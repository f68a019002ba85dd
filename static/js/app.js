/* GroupCRM: the little behaviour the pages need beyond htmx. No inline scripts (CSP). */
(function () {
  "use strict";

  // "Select all" checkbox in a list header: <input data-check-all="codes">.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.dataset.checkAll) return;
    var form = box.form || document;
    form.querySelectorAll('input[type=checkbox][name="' + box.dataset.checkAll + '"]').forEach(
      function (item) { item.checked = box.checked; }
    );
  });

  // A form with data-confirm asks before submitting (the text comes translated from the page).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // Show the bulk bar as active once some rows are ticked.
  document.addEventListener("htmx:afterSettle", function () {
    var checked = document.querySelectorAll('input[name="codes"]:checked').length;
    var bulk = document.querySelector(".bulk");
    if (bulk) bulk.classList.toggle("has-selection", checked > 0);
  });
})();
