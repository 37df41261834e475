// The little progressive enhancement schoolhub needs; every page works without it.
document.addEventListener("click", function (event) {
  var print = event.target.closest("[data-print]");
  if (print) { event.preventDefault(); window.print(); }
  var confirmEl = event.target.closest("[data-confirm]");
  if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) { event.preventDefault(); }
});
