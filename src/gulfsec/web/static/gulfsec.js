// gulfsec pages: light progressive enhancement. Every page works without this script; with it,
// array rows are added and removed in place, a union shows only the chosen alternative, the
// inbox refreshes itself, and a confirmed entry cannot be sent twice by a double click.
// No inline handlers: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  // -- unions: show only the chosen alternative ---------------------------------------------
  function updateUnion(union) {
    var select = union.querySelector("select[data-union-choice]");
    if (!select) { return; }
    var variants = union.querySelectorAll(":scope > fieldset[data-variant]");
    variants.forEach(function (variant) {
      var chosen = variant.getAttribute("data-variant") === select.value;
      variant.hidden = !chosen;
      variant.disabled = !chosen;  // a disabled fieldset is neither posted nor validated
    });
  }

  function setUpUnions(root) {
    root.querySelectorAll("fieldset[data-union]").forEach(function (union) {
      if (union.dataset.ready) { return; }
      union.dataset.ready = "1";
      var select = union.querySelector("select[data-union-choice]");
      if (select) {
        select.addEventListener("change", function () { updateUnion(union); });
      }
      updateUnion(union);
    });
  }

  // -- arrays: add and remove rows in place ---------------------------------------------------
  function addRow(array) {
    var template = array.querySelector(":scope > template[data-row-template]");
    var rows = array.querySelector(":scope > [data-rows]");
    if (!template || !rows) { return; }
    var max = parseInt(array.getAttribute("data-max") || "0", 10);
    if (max && rows.querySelectorAll(":scope > fieldset[data-row]").length >= max) { return; }
    var token = array.getAttribute("data-token");
    var next = parseInt(array.getAttribute("data-next") || "0", 10);
    var numberToken = token.replace("__i", "__n");
    var html = template.innerHTML.split(token).join(String(next))
      .split(numberToken).join(String(next + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    while (holder.firstChild) { rows.appendChild(holder.firstChild); }
    array.setAttribute("data-next", String(next + 1));
    if (row) {
      setUpUnions(row);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    }
  }

  function removeRow(button) {
    var row = button.closest("fieldset[data-row]");
    var array = row && row.parentElement && row.parentElement.closest("fieldset[data-array]");
    if (!row) { return; }
    row.remove();
    if (array) {
      var add = array.querySelector(":scope > .array-actions button[data-add-row]");
      if (add) { add.focus(); }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (!button) { return; }
    if (button.hasAttribute("data-add-row")) {
      var array = button.closest("fieldset[data-array]");
      if (array) { event.preventDefault(); addRow(array); }
    } else if (button.hasAttribute("data-remove-row")) {
      event.preventDefault();
      removeRow(button);
    }
  });

  // -- a confirmed form is posted once ------------------------------------------------------------
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
      });
    });
  });

  // -- the inbox refreshes itself -----------------------------------------------------------------
  function setUpInbox() {
    var live = document.querySelector("[data-live-inbox]");
    if (!live || live.hasAttribute("data-paused") || !window.fetch) { return; }
    var status = document.getElementById("inbox-status");
    var tbody = document.getElementById("inbox-rows");
    var latest = parseInt(live.getAttribute("data-latest"), 10);
    var alarms = null;
    var pending = null;

    function showAlarm(count) {
      var banner = document.getElementById("alarm-banner");
      if (banner || count < 1) { return; }
      banner = document.createElement("div");
      banner.className = "alarm-banner";
      banner.id = "alarm-banner";
      banner.setAttribute("role", "alert");
      var p = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = count + (count === 1 ? " alarm: " : " alarms: ");
      p.appendChild(strong);
      p.appendChild(document.createTextNode("this node caught a verification failure or evidence that the hub is not honest. "));
      var link = document.createElement("a");
      link.href = "/alarms";
      link.textContent = "See the evidence";
      p.appendChild(link);
      banner.appendChild(p);
      var header = document.querySelector(".site-header");
      header.parentNode.insertBefore(banner, header.nextSibling);
    }

    function refresh() {
      fetch(live.getAttribute("data-fragment-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          tbody.innerHTML = html;
          var first = tbody.querySelector("tr[data-index]");
          var newest = first ? parseInt(first.getAttribute("data-index"), 10) : latest;
          var added = newest > latest ? " New entries have arrived." : "";
          latest = Math.max(latest, newest);
          if (status) { status.textContent = "Updated at " + new Date().toLocaleTimeString() + "." + added; }
        })
        .catch(function () {});
    }

    function poll() {
      fetch(live.getAttribute("data-updates-url"), { credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return Promise.reject(401); }
          return r.ok ? r.json() : Promise.reject(r.status);
        })
        .then(function (state) {
          if (alarms !== null && state.alarms > alarms) { showAlarm(state.alarms); }
          if (state.latest > latest || (pending !== null && state.pending !== pending)) { refresh(); }
          alarms = state.alarms;
          pending = state.pending;
        })
        .catch(function () {})
        .then(function () { window.setTimeout(poll, 10000); });
    }
    window.setTimeout(poll, 10000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpUnions(document);
    setUpInbox();
    focusErrorSummary();
  });
  if (document.readyState !== "loading") {
    setUpUnions(document);
  }
}());
