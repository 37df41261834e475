// The little progressive enhancement schoolhub needs; every page works without it.
document.addEventListener("click", function (event) {
  var print = event.target.closest("[data-print]");
  if (print) { event.preventDefault(); window.print(); }
  var confirmEl = event.target.closest("[data-confirm]");
  if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) { event.preventDefault(); }
});

// A YouTube video loads (privacy-enhanced) only when the reader asks for it.
document.addEventListener("click", function (event) {
  var play = event.target.closest("[data-play]");
  if (!play) { return; }
  var box = play.closest("[data-embed]");
  if (!box) { return; }
  event.preventDefault();
  var frame = document.createElement("iframe");
  frame.src = box.getAttribute("data-embed") + "?autoplay=1";
  frame.title = play.textContent.trim();
  frame.allow = "autoplay; encrypted-media; picture-in-picture";
  frame.setAttribute("allowfullscreen", "");
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  box.replaceChildren(frame);
});

// Say at once that a file is too large, before the upload wastes the reader's data.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
  var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
  var file = input.files && input.files[0];
  if (file && file.size > limit) {
    window.alert(input.getAttribute("data-too-large"));
    input.value = "";
  }
});
