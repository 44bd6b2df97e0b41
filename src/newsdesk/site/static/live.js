/* newsdesk live updates: poll latest.json and offer a refresh when new articles arrive.
   No reload by itself; self-contained, no third-party code. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var url = script.getAttribute("data-latest");
  var seconds = parseInt(script.getAttribute("data-interval"), 10);
  if (!url || !(seconds > 0)) { return; }
  var baseline = null;
  var bar = null;

  function show(fresh) {
    if (!bar) {
      bar = document.createElement("button");
      bar.type = "button";
      bar.id = "live-bar";
      bar.className = "live-bar";
      bar.addEventListener("click", function () { window.location.reload(); });
      var holder = document.createElement("div");
      holder.className = "live-holder";
      holder.setAttribute("role", "status");
      holder.setAttribute("aria-live", "polite");
      holder.appendChild(bar);
      document.body.insertBefore(holder, document.body.firstChild);
    }
    bar.setAttribute("data-new", String(fresh));
    bar.textContent = fresh + " 条新文章，点击刷新";
  }

  function poll() {
    fetch(url, { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || typeof data.count !== "number") { return; }
        if (baseline === null) { baseline = data.count; return; }
        if (data.count > baseline) { show(data.count - baseline); }
      })
      .catch(function () { /* offline for a moment: try again next round */ })
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }

  poll();
}());
