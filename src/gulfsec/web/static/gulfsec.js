// gulfsec pages: light progressive enhancement. Every page works without this script; with it,
// array rows are added and removed in place, a union shows only the chosen alternative, the
// inbox and an entry's page follow the node's state as it changes, and a confirmed entry cannot
// be sent twice by a double click.
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

  // -- pages that follow the node's state --------------------------------------------------------
  // The server tells an open page when the node's state changes (server-sent events from
  // data-events-url); a browser without EventSource, or whose stream keeps failing, asks
  // every 10 seconds instead. Words come from the page (data-*-text, in the reader's language).
  var POLL_MS = 10000;

  function follow(live, onState, fallback) {
    var url = live.getAttribute("data-events-url");
    if (!url || !window.EventSource) { fallback(); return; }
    var source = new EventSource(url);
    var failures = 0;
    source.addEventListener("state", function (event) {
      failures = 0;
      var state;
      try { state = JSON.parse(event.data); } catch (e) { return; }
      onState(state);
    });
    source.addEventListener("error", function () {
      // The stream ends now and then and the browser connects again; refused (signed out)
      // or failing again and again, the page falls back to asking.
      failures += 1;
      if (source.readyState === EventSource.CLOSED || failures > 3) {
        source.close();
        fallback();
      }
    });
  }

  function every(ms, ask) {
    window.setTimeout(function again() {
      ask().catch(function () {}).then(function () { window.setTimeout(again, ms); });
    }, ms);
  }

  function signedOut(response) {
    // The pages send a signed-out reader to sign in: reload, to go there and come back.
    if (response.status === 401 || (response.redirected && response.url.indexOf("/sign-in") !== -1)) {
      window.location.reload();
      return true;
    }
    return false;
  }

  function updatedText(live, extra) {
    var lang = document.documentElement.lang || undefined;
    var time;
    try {
      time = new Date().toLocaleTimeString(lang, { timeZone: "UTC", timeZoneName: "short" });
    } catch (e) {
      time = new Date().toISOString().slice(11, 19) + "Z";
    }
    var text = (live.getAttribute("data-updated-text") || "").split("{time}").join(time);
    return extra ? text + " " + extra : text;
  }

  function showAlarm() {
    // The banner and the menu's count, in the reader's words, as this very page shows them now.
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var banner = fresh.getElementById("alarm-banner");
        var old = document.getElementById("alarm-banner");
        if (banner && old) {
          old.replaceWith(document.importNode(banner, true));
        } else if (banner) {
          var header = document.querySelector(".site-header");
          if (header) { header.parentNode.insertBefore(document.importNode(banner, true), header.nextSibling); }
        }
        var nav = fresh.getElementById("nav-alarms");
        var oldNav = document.getElementById("nav-alarms");
        if (nav && oldNav) { oldNav.replaceWith(document.importNode(nav, true)); }
      })
      .catch(function () {});
  }

  function number(value) {
    var n = parseInt(value, 10);
    return isNaN(n) ? null : n;
  }

  // -- the inbox refreshes itself -----------------------------------------------------------------
  function setUpInbox() {
    var live = document.querySelector("[data-live-inbox]");
    if (!live || live.hasAttribute("data-paused") || !window.fetch) { return; }
    var status = document.getElementById("inbox-status");
    var tbody = document.getElementById("inbox-rows");
    var latest = number(live.getAttribute("data-latest"));
    var alarms = number(live.getAttribute("data-alarms"));
    var pending = number(live.getAttribute("data-pending"));

    function refresh() {
      return fetch(live.getAttribute("data-fragment-url"), { credentials: "same-origin" })
        .then(function (r) {
          if (signedOut(r)) { return Promise.reject(401); }
          return r.ok ? r.text() : Promise.reject(r.status);
        })
        .then(function (html) {
          tbody.innerHTML = html;
          var first = tbody.querySelector("tr[data-index]");
          var newest = first ? parseInt(first.getAttribute("data-index"), 10) : latest;
          var arrived = latest !== null && newest > latest;
          latest = latest === null ? newest : Math.max(latest, newest);
          if (status) {
            status.textContent = updatedText(live, arrived ? live.getAttribute("data-arrived-text") : "");
          }
        });
    }

    function onState(state) {
      if (alarms !== null && state.alarms > alarms) { showAlarm(); }
      if (latest === null || state.latest > latest || (pending !== null && state.pending !== pending)) {
        refresh().catch(function () {});
      }
      alarms = state.alarms;
      pending = state.pending;
    }

    function poll() {
      every(POLL_MS, function () {
        return fetch(live.getAttribute("data-updates-url"), { credentials: "same-origin" })
          .then(function (r) {
            if (signedOut(r)) { return Promise.reject(401); }
            return r.ok ? r.json() : Promise.reject(r.status);
          })
          .then(onState);
      });
    }

    follow(live, onState, poll);
  }

  // -- an entry's page follows its state ------------------------------------------------------------
  function setUpEntry() {
    var live = document.querySelector("[data-live-entry]");
    if (!live || !window.fetch || !window.DOMParser) { return; }
    var status = document.getElementById("entry-status");
    var alarms = number(live.getAttribute("data-alarms"));
    var token = null;

    function swap() {
      // Each part of the page that changes with the node's state, as the server shows it now;
      // only the parts that differ are replaced (what the reader is on stays put otherwise).
      return fetch(live.getAttribute("data-fragment-url"), { credentials: "same-origin" })
        .then(function (r) {
          if (signedOut(r)) { return Promise.reject(401); }
          return r.ok ? r.text() : Promise.reject(r.status);
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var changed = false;
          fresh.querySelectorAll("[data-live-part]").forEach(function (part) {
            var name = part.getAttribute("data-live-part");
            var old = document.querySelector('[data-live-part="' + name + '"]');
            if (old && old.innerHTML.trim() !== part.innerHTML.trim()) {
              old.replaceWith(document.importNode(part, true));
              changed = true;
            }
          });
          if (changed && status) { status.textContent = updatedText(live, ""); }
        });
    }

    function onState(state) {
      if (alarms !== null && state.alarms > alarms) { showAlarm(); }
      alarms = state.alarms;
      // The first event too: the state may have moved on since the page was made.
      if (state.token !== token) {
        token = state.token;
        swap().catch(function () {});
      }
    }

    follow(live, onState, function () { every(POLL_MS, swap); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpUnions(document);
    setUpInbox();
    setUpEntry();
    focusErrorSummary();
  });
  if (document.readyState !== "loading") {
    setUpUnions(document);
  }
}());
