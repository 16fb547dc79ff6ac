/* 自定义 (the custom window preset) opens the date picker: the preset itself sets no window,
   the picker does. The picker's popover state is its own, so the click is passed to its trigger. */
document.addEventListener("click", function (event) {
  var label = event.target.closest && event.target.closest("#filter-preset label");
  var input = label && label.querySelector("input[value='custom']");
  if (!input) { return; }
  window.setTimeout(function () {
    var trigger = document.getElementById("filter-dates-wrapper");  // Dash puts the id on the start input
    if (trigger && trigger.getAttribute("aria-expanded") !== "true") { trigger.click(); }
  }, 0);
});
