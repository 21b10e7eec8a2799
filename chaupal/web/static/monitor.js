// Reaction monitor (/monitor): follow the reaction stream (SSE); on each update show the new
// totals at once and re-fetch the server-rendered panel (SVG charts and lists). No inline script.
(function () {
  "use strict";
  var root = document.getElementById("monitor");
  if (!root || !window.EventSource) return;
  var panel = document.getElementById("monitor-panel");
  var state = document.getElementById("monitor-live");
  var shown = root.getAttribute("data-sig") || "";
  var busy = false, again = false;
  function setText(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined && value !== null) el.textContent = String(value);
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.getAttribute("data-panel"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { panel.innerHTML = html; root.dataset.updated = String(Date.now()); })
      .catch(function () { /* the next update retries */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var source = new EventSource(root.getAttribute("data-stream"));
  source.addEventListener("open", function () {
    root.dataset.live = "open";
    if (state) state.textContent = state.getAttribute("data-open") || "Live";
  });
  source.addEventListener("error", function () {
    root.dataset.live = "retrying";
    if (state) state.textContent = state.getAttribute("data-retrying") || "Reconnecting…";
  });
  source.addEventListener("reactions", function (e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    var s = data.sentiment || {}, q = data.questions || {};
    var sig = [data.latest_id || "", data.total, s.positive, s.neutral, s.negative, q.unanswered].join("|");
    if (sig === shown) return;  // nothing new since the page was drawn
    shown = sig;
    setText("monitor-total", data.total);
    if (data.sentiment) {
      setText("monitor-positive", data.sentiment.positive);
      setText("monitor-neutral", data.sentiment.neutral);
      setText("monitor-negative", data.sentiment.negative);
    }
    if (data.questions) setText("monitor-unanswered", data.questions.unanswered);
    refresh();
  });
})();
