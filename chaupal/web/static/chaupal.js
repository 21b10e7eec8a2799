// Chaupal web: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Live character counter for compose boxes (Mastodon counts every URL as 23 characters).
  var URL_RE = /https?:\/\/[^\s<>"]+/g;
  function count(text) {
    var n = 0;
    text = text.replace(URL_RE, function () { n += 23; return ""; });
    return n + Array.from(text).length;
  }
  function wire(area) {
    var max = parseInt(area.getAttribute("data-max-chars"), 10);
    var out = document.getElementById(area.getAttribute("aria-describedby"));
    if (!max || !out || area.dataset.counted) return;
    area.dataset.counted = "1";
    var form = area.form;
    var cw = form ? form.querySelector("input[name=spoiler_text]") : null;
    function update() {
      var left = max - count(area.value) - (cw ? count(cw.value) : 0);
      out.textContent = (area.getAttribute("data-left") || "{n}").replace("{n}", left);
      out.classList.toggle("over", left < 0);
      var button = form ? form.querySelector("button[type=submit]") : null;
      if (button) button.disabled = left < 0;
    }
    area.addEventListener("input", update);
    if (cw) cw.addEventListener("input", update);
    update();
  }
  function init(root) {
    (root || document).querySelectorAll("textarea[data-max-chars]").forEach(wire);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
  // Live timeline state, for assistive tech and tests: body[data-live] is "open" while connected.
  document.addEventListener("htmx:sseOpen", function () { document.body.dataset.live = "open"; });
  // A reconnecting stream may resend a status the page already shows: keep one copy.
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var id = e.detail && e.detail.lastEventId;
    if (id && document.getElementById("status-" + id)) e.preventDefault();
  });
  document.addEventListener("htmx:sseError", function () { document.body.dataset.live = "retrying"; });
})();
