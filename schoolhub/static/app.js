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

// --- The lesson editor ------------------------------------------------------------------------------
// The lesson editor's toolbar: bold, italic, heading, lists, link, table, picture, preview, and the
// shortcuts Ctrl/Cmd+B, Ctrl/Cmd+I, Ctrl/Cmd+K. It only types into the textarea the same plain text a
// person could type (the page's help explains it), so without this script the form works the same.
// Handlers are attached here, never in the page's HTML (a strict Content-Security-Policy forbids that).
(function () {
  "use strict";
  var toolbar = document.querySelector("[data-md-toolbar]");
  if (!toolbar) { return; }
  var area = document.getElementById(toolbar.getAttribute("aria-controls"));
  var form = area && area.form;
  if (!area || !form) { return; }
  var words = toolbar.dataset;  // placeholder words, in the reader's language
  toolbar.hidden = false;

  // --- typing into the textarea (kept on the browser's undo stack where it can be) -------------------
  function replace(start, end, text, selStart, selEnd) {
    area.focus();
    area.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || area.value.substring(start, start + text.length) !== text) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.setSelectionRange(selStart, selEnd);
  }

  function wrap(mark, placeholder) {
    var s = area.selectionStart, e = area.selectionEnd;
    var chosen = area.value.slice(s, e);
    // Marks hug the words: "**bold** " rather than "**bold **", which would not show as bold.
    var lead = chosen.match(/^\s*/)[0], tail = chosen.match(/\s*$/)[0];
    var inner = chosen.trim() || placeholder;
    var text = lead + mark + inner + mark + (chosen.trim() ? tail : "");
    var from = s + lead.length + mark.length;
    replace(s, e, text, from, from + inner.length);
  }

  function lineBounds() {
    var v = area.value, s = area.selectionStart, e = area.selectionEnd;
    var start = v.lastIndexOf("\n", s - 1) + 1;
    var end = v.indexOf("\n", e > s && v[e - 1] === "\n" ? e - 1 : e);
    return { start: start, end: end < 0 ? v.length : end };
  }

  // A block (heading, list, table) starts on its own line, after an empty one.
  function blockGap(pos) {
    var before = area.value.slice(0, pos);
    if (!before.trim()) { return ""; }
    return before.slice(-2) === "\n\n" ? "" : (before.slice(-1) === "\n" ? "\n" : "\n\n");
  }

  var LINE_MARK = /^(#{1,6} +|[-*+] +|\d+[.)] +)/;

  function prefixLines(prefix, placeholder) {
    var b = lineBounds();
    var lines = area.value.slice(b.start, b.end).split("\n");
    var empty = lines.length === 1 && !lines[0].trim();
    if (empty) { lines = [placeholder]; }
    var text = lines.map(function (line, i) { return prefix(i) + line.replace(LINE_MARK, ""); }).join("\n");
    var gap = blockGap(b.start);
    var at = b.start + gap.length;
    // An empty line gets a placeholder, selected, so what the person types next replaces it.
    replace(b.start, b.end, gap + text, empty ? at + prefix(0).length : at + text.length, at + text.length);
  }

  function insertBlock(text) {
    var s = area.selectionStart, e = area.selectionEnd;
    var gap = blockGap(s);
    var after = area.value.slice(e, e + 2) === "\n\n" ? "" : (area.value.slice(e, e + 1) === "\n" ? "\n" : "\n\n");
    var end = s + gap.length + text.length + after.length;
    replace(s, e, gap + text + after, end, end);
  }

  // --- panels: a link, a table, a picture ------------------------------------------------------------
  var panels = Array.prototype.slice.call(form.querySelectorAll("[data-md-panel]"));
  var savedSelection = [0, 0];

  function openPanel(name) {
    savedSelection = [area.selectionStart, area.selectionEnd];
    panels.forEach(function (p) { p.hidden = p.getAttribute("data-md-panel") !== name || !p.hidden; });
    var panel = panels.filter(function (p) { return !p.hidden; })[0];
    if (!panel) { area.focus(); return null; }
    var first = panel.querySelector("input, select, button");
    if (first) { first.focus(); }
    return panel;
  }

  function closePanels() {
    panels.forEach(function (p) { p.hidden = true; });
    area.focus();
    area.setSelectionRange(savedSelection[0], savedSelection[1]);
  }

  function linkPanel() {
    var chosen = area.value.slice(area.selectionStart, area.selectionEnd);
    var panel = openPanel("link");
    if (!panel) { return; }
    panel.querySelector("[data-md-link-text]").value = chosen.trim();
    panel.querySelector("[data-md-link-url]").focus();
  }

  function insertLink(panel) {
    var url = panel.querySelector("[data-md-link-url]").value.trim();
    var label = panel.querySelector("[data-md-link-text]").value.trim().replace(/[[\]]/g, "");
    if (!url) { panel.querySelector("[data-md-link-url]").focus(); return; }
    if (!/^(https?:|mailto:)/i.test(url)) { url = (url.indexOf("@") > 0 && url.indexOf("/") < 0 ? "mailto:" : "https://") + url; }
    url = url.replace(/[\s()]/g, encodeURIComponent);
    closePanels();
    var text = "[" + (label || url) + "](" + url + ")";
    var s = area.selectionStart;
    replace(s, area.selectionEnd, text, s + text.length, s + text.length);
  }

  function tableGrid(panel) {
    var cols = parseInt(panel.querySelector("[data-md-cols]").value, 10) || 2;
    var rows = parseInt(panel.querySelector("[data-md-rows]").value, 10) || 2;
    var grid = panel.querySelector("[data-md-grid]");
    var kept = {};
    grid.querySelectorAll("input").forEach(function (input) { kept[input.dataset.cell] = input.value; });
    grid.replaceChildren();
    grid.style.gridTemplateColumns = "repeat(" + cols + ", minmax(5rem, 1fr))";
    for (var r = 0; r <= rows; r += 1) {
      for (var c = 0; c < cols; c += 1) {
        var input = document.createElement("input");
        input.type = "text";
        input.dataset.cell = r + ":" + c;
        input.value = kept[input.dataset.cell] || "";
        input.placeholder = r === 0 ? words.mdHeading + " " + (c + 1) : "";
        input.setAttribute("aria-label", (r === 0 ? words.mdHeadingCell : words.mdRow + " " + r) + ", " + words.mdColumn + " " + (c + 1));
        if (r === 0) { input.className = "head"; }
        grid.appendChild(input);
      }
    }
  }

  function insertTable(panel) {
    var cols = parseInt(panel.querySelector("[data-md-cols]").value, 10) || 2;
    var rows = parseInt(panel.querySelector("[data-md-rows]").value, 10) || 2;
    function cell(r, c) {
      var input = panel.querySelector('[data-cell="' + r + ":" + c + '"]');
      var value = input ? input.value.replace(/\s+/g, " ").trim().replace(/\|/g, "\\|") : "";
      return value || (r === 0 ? words.mdHeading + " " + (c + 1) : " ");
    }
    var lines = [];
    for (var r = 0; r <= rows; r += 1) {
      var cells = [];
      for (var c = 0; c < cols; c += 1) { cells.push(cell(r, c)); }
      lines.push("| " + cells.join(" | ") + " |");
      if (r === 0) { lines.push("|" + new Array(cols + 1).join(" --- |")); }
    }
    closePanels();
    insertBlock(lines.join("\n"));
    panel.querySelectorAll("[data-md-grid] input").forEach(function (input) { input.value = ""; });
  }

  function insertPicture(markdown) {
    closePanels();
    insertBlock(markdown);
  }

  // A picture chosen from the phone goes up at once: the form is sent as a preview, which keeps the file
  // waiting for the next save and puts the picture into the text.
  function uploadPicture() {
    var input = form.querySelector("input[type=file][name=file]");
    var insert = form.querySelector("input[name=insert_image]");
    if (!input) { return; }
    if (insert) { insert.checked = true; }
    input.dataset.mdUpload = "1";
    input.click();
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-md-upload]") || !input.files.length) { return; }
    delete input.dataset.mdUpload;
    var preview = form.querySelector("button[name=action][value=preview]");
    if (preview && input.value) {
      if (form.requestSubmit) { form.requestSubmit(preview); } else { preview.click(); }
    }
  });

  // --- buttons and keys --------------------------------------------------------------------------------
  var actions = {
    bold: function () { wrap("**", words.mdBold); },
    italic: function () { wrap("*", words.mdItalic); },
    heading: function () { prefixLines(function () { return "## "; }, words.mdHeadingText); },
    list: function () { prefixLines(function () { return "- "; }, words.mdItem); },
    numbered: function () { prefixLines(function (i) { return (i + 1) + ". "; }, words.mdItem); },
    link: linkPanel,
    table: function () { var p = openPanel("table"); if (p) { tableGrid(p); p.querySelector("[data-md-cols]").focus(); } },
    image: function () { openPanel("image"); }
  };

  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-md]");
    if (!button || !actions[button.dataset.md]) { return; }
    event.preventDefault();
    actions[button.dataset.md]();
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-md-do]");
    if (!button) { return; }
    event.preventDefault();
    var panel = button.closest("[data-md-panel]");
    var what = button.dataset.mdDo;
    if (what === "close") { closePanels(); }
    if (what === "link") { insertLink(panel); }
    if (what === "table") { insertTable(panel); }
    if (what === "picture") { insertPicture(button.dataset.mdMarkdown); }
    if (what === "upload") { uploadPicture(); }
  });

  form.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-md-cols], [data-md-rows]")) {
      tableGrid(event.target.closest("[data-md-panel]"));
    }
  });

  panels.forEach(function (panel) {
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closePanels(); }
      if (event.key === "Enter" && event.target.matches("input")) {
        // Enter in a panel inserts (it must not send the lesson form).
        event.preventDefault();
        var go = panel.querySelector("button[data-md-do=link], button[data-md-do=table]");
        if (go) { go.click(); }
      }
    });
  });

  area.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      var key = event.key.toLowerCase();
      var map = { b: "bold", i: "italic", k: "link" };
      if (map[key]) { event.preventDefault(); actions[map[key]](); return; }
    }
    // Enter in a list item starts the next item; Enter on an empty item ends the list.
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.isComposing &&
        area.selectionStart === area.selectionEnd) {
      var b = lineBounds();
      var line = area.value.slice(b.start, area.selectionStart);
      var item = line.match(/^([-*+]|(\d+)[.)]) +/);
      if (!item) { return; }
      event.preventDefault();
      if (line.trim() === item[0].trim()) {
        // The list ends with an empty line, so what follows is a new paragraph, not part of the last item.
        replace(b.start, area.selectionStart, "\n", b.start + 1, b.start + 1);
        return;
      }
      var next = item[2] ? (parseInt(item[2], 10) + 1) + item[1].slice(-1) + " " : item[1] + " ";
      var s = area.selectionStart;
      replace(s, s, "\n" + next, s + 1 + next.length, s + 1 + next.length);
    }
  });
}());
