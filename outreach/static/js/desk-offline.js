// The offline desk (issue 7). Replaces window.outreachDesk.transport with one that
//  - keeps the conference's roster in IndexedDB (GET .../roster, then ?since=<cursor> every
//    ROSTER_SINCE_EVERY_S and the whole list every ROSTER_FULL_EVERY_S while online);
//  - online, asks the server as before (and notes each answer in the roster);
//  - offline (or when the network fails), decides scans and searches against the local roster
//    with desk-rules.js, exactly as the server would, and queues each scan with its nonce and
//    the original scan time; walk-ins are queued too;
//  - when the network returns, uploads the queue (POST .../scans:batch, 500 at a time, then
//    each walk-in to .../walkins, both idempotent by nonce) and shows what the server decided;
//  - registers desk-sw.js, which keeps the page, its scripts and styles for opening offline.
// The roster holds sha256 hashes of ticket codes (the scanned code is hashed with WebCrypto),
// names, cooperatives and states: no phone numbers, e-mail addresses or usable codes.
(function () {
  "use strict";

  var desk = window.outreachDesk;
  var root = document.getElementById("desk");
  var rules = window.outreachDeskRules;
  if (!desk || !root || !rules || !window.indexedDB) return;

  var ROSTER_SINCE_EVERY_S = 20;
  var ROSTER_FULL_EVERY_S = 600;
  var SYNC_EVERY_S = 10;
  var BATCH = 500;

  var conferenceId = Number(root.getAttribute("data-conference"));
  var texts = desk.texts;
  var network = desk.transport;
  var banner = document.getElementById("desk-offline");
  var rosterLine = document.getElementById("desk-roster");
  var db = null;
  var byId = new Map(), byHash = new Map();
  var queue = [];  // [{nonce, kind: "scan"|"walkin", seq, body, local}] in order
  var meta = { cursor: null, conference: null, loadedAt: 0, fullAt: 0 };
  var reachable = true;
  var syncing = false;
  var lastReport = "";

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (_m, key) { return values[key] == null ? "" : values[key]; });
  }

  function isOnline() { return navigator.onLine !== false && reachable; }

  // --- IndexedDB --------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("outreach-desk-" + conferenceId, 1);
      request.onupgradeneeded = function () {
        var store = request.result;
        store.createObjectStore("roster", { keyPath: "id" });
        store.createObjectStore("meta");
        store.createObjectStore("queue", { keyPath: "nonce" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(stores, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(stores, mode);
      var result = work(t);
      t.oncomplete = function () { resolve(result); };
      t.onerror = t.onabort = function () { reject(t.error); };
    });
  }

  function readAll(name) {
    return new Promise(function (resolve, reject) {
      var request = db.transaction(name).objectStore(name).getAll();
      request.onsuccess = function () { resolve(request.result || []); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function readMeta() {
    return new Promise(function (resolve) {
      var request = db.transaction("meta").objectStore("meta").get("meta");
      request.onsuccess = function () { resolve(request.result || null); };
      request.onerror = function () { resolve(null); };
    });
  }

  function remember(rows) {
    rows.forEach(function (row) {
      var old = byId.get(row.id);
      if (old && old.hash !== row.hash) byHash.delete(old.hash);
      byId.set(row.id, row);
      byHash.set(row.hash, row);
    });
  }

  function saveRows(rows, replace) {
    remember(rows);
    return tx(["roster", "meta"], "readwrite", function (t) {
      var store = t.objectStore("roster");
      if (replace) store.clear();
      rows.forEach(function (row) { store.put(row); });
      t.objectStore("meta").put(meta, "meta");
    });
  }

  function saveQueueItem(item) {
    queue.push(item);
    return tx(["queue"], "readwrite", function (t) { t.objectStore("queue").put(item); });
  }

  function dropQueueItems(nonces) {
    var gone = new Set(nonces);
    queue = queue.filter(function (item) { return !gone.has(item.nonce); });
    return tx(["queue"], "readwrite", function (t) {
      nonces.forEach(function (nonce) { t.objectStore("queue").delete(nonce); });
    });
  }

  // --- the roster -------------------------------------------------------------------------

  function loadRoster(full) {
    var path = "/roster";
    if (!full && meta.cursor) path += "?since=" + encodeURIComponent(meta.cursor);
    return desk.request("GET", path).then(function (reply) {
      reachable = true;
      if (reply.status !== 200 || !reply.body || !reply.body.delegates) return;
      var body = reply.body;
      meta.cursor = body.cursor;
      meta.conference = body.conference;
      meta.loadedAt = Date.now();
      if (body.full) {
        meta.fullAt = Date.now();
        byId = new Map();
        byHash = new Map();
      }
      return saveRows(body.delegates, body.full).then(render);
    }, function () { reachable = false; render(); });
  }

  function formatTime(date) {
    var zone = meta.conference && meta.conference.timezone;
    try {
      return new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone || undefined }).format(date);
    } catch (e) {
      return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
    }
  }

  // An answer of the server: note it in the local roster, so an offline desk knows it.
  function noteAnswer(answer) {
    var person = answer && answer.delegate;
    if (!person || !byId.has(person.id)) return;
    if (answer.result !== "ok" && answer.result !== "already_checked_in" && answer.result !== "undone") return;
    var row = Object.assign({}, byId.get(person.id));
    if (answer.result === "undone") {
      row.checked_in_at = row.checked_in_time = row.station = null;
    } else {
      row.checked_in_at = answer.checked_in_at;
      row.checked_in_time = answer.checked_in_time;
      row.station = answer.station;
    }
    saveRows([row], false);
  }

  // This phone's own admissions still waiting in the queue: delegate id -> {at, station}.
  function localAdmissions() {
    var admitted = new Map();
    queue.forEach(function (item) {
      if (item.kind === "scan" && item.local && item.local.result === "ok") {
        admitted.set(item.local.delegate_id, item.local);
      }
    });
    return admitted;
  }

  function sha256(text) {
    if (!window.crypto || !window.crypto.subtle) return Promise.resolve(null);
    return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }

  function findEntry(payload) {
    if (payload.delegate_id != null) return Promise.resolve(byId.get(payload.delegate_id) || null);
    var code = rules.normaliseCode(payload.code);
    if (!code) return Promise.resolve(null);
    return sha256(code).then(function (hash) { return (hash && byHash.get(hash)) || null; });
  }

  // --- deciding offline -------------------------------------------------------------------

  function decideOffline(payload) {
    return findEntry(payload).then(function (entry) {
      var mine = entry ? localAdmissions().get(entry.id) : null;
      var ticket = entry ? {
        conference_id: conferenceId,
        registration_status: entry.status,
        revoked: entry.revoked,
        checked_in_at: entry.checked_in_at || (mine && mine.at) || null,
      } : null;
      var conference = meta.conference || {};
      var now = payload.scanned_at ? Date.parse(payload.scanned_at) : Date.now();
      var result = rules.decide(ticket, {
        conference_id: conferenceId,
        conference_status: conference.status,
        now: now,
        opens_at: Date.parse(conference.opens_at),
        override: !!payload.override,
      });
      var answer = {
        result: result,
        nonce: payload.nonce,
        delegate: entry ? { id: entry.id, name: entry.name, position: entry.position, cooperative: entry.cooperative } : null,
        checked_in_at: null,
        checked_in_time: null,
        station: null,
        offline: true,
      };
      if (result === "ok") {
        answer.checked_in_at = new Date(now).toISOString();
        answer.checked_in_time = formatTime(new Date(now));
        answer.station = payload.station || "";
      } else if (result === "already_checked_in") {
        answer.checked_in_time = entry.checked_in_time || (mine && mine.time);
        answer.station = entry.checked_in_at ? entry.station : mine && mine.station;
      }
      var item = {
        nonce: payload.nonce,
        kind: "scan",
        seq: Date.now() + queue.length / 1000,
        body: payload,
        local: { result: result, delegate_id: entry ? entry.id : null, at: answer.checked_in_at, time: answer.checked_in_time, station: answer.station },
      };
      return saveQueueItem(item).then(function () {
        render();
        return { status: 200, body: answer };
      });
    });
  }

  function searchOffline(q) {
    var text = q.trim();
    if (/^[\d\s+().-]+$/.test(text)) {
      // phone numbers are not on the phone: searching by phone needs the network
      return Promise.resolve({ status: 200, body: { groups: [], offline: true } });
    }
    var key = rules.fold(text);
    if (key.length < 2) return Promise.resolve({ status: 200, body: { groups: [] } });
    var matched = [];
    byId.forEach(function (row) {
      if (row.name_key.indexOf(key) !== -1 || (row.cooperative_key || "").indexOf(key) !== -1) matched.push(row);
    });
    matched.sort(function (a, b) { return a.name_key < b.name_key ? -1 : a.name_key > b.name_key ? 1 : a.id - b.id; });
    matched = matched.slice(0, 20);
    var mine = localAdmissions();
    var order = [], groups = {}, hits = new Set(matched.map(function (row) { return row.id; }));
    matched.forEach(function (row) {
      if (!groups[row.registration_id]) {
        order.push(row.registration_id);
        groups[row.registration_id] = { cooperative: row.cooperative, status: row.status, delegates: [] };
      }
    });
    Array.from(byId.values()).sort(function (a, b) { return a.id - b.id; }).forEach(function (row) {
      var group = groups[row.registration_id];
      if (!group) return;
      var local = mine.get(row.id);
      group.delegates.push({
        id: row.id,
        name: row.name,
        position: row.position,
        revoked: row.revoked,
        checked_in_at: row.checked_in_at || (local && local.at) || null,
        checked_in_time: row.checked_in_time || (local && local.time) || null,
        matched: hits.has(row.id),
      });
    });
    return Promise.resolve({ status: 200, body: { groups: order.map(function (id) { return groups[id]; }) } });
  }

  function statsOffline() {
    var mine = localAdmissions();
    var expected = 0, checkedIn = 0, stations = {};
    byId.forEach(function (row) {
      if (row.status !== "confirmed" || row.revoked) return;
      expected += 1;
      var local = mine.get(row.id);
      if (row.checked_in_at || local) {
        checkedIn += 1;
        var name = row.checked_in_at ? row.station || "" : local.station || "";
        stations[name] = (stations[name] || 0) + 1;
      }
    });
    var list = Object.keys(stations).map(function (name) { return { station: name, checked_in: stations[name] }; });
    list.sort(function (a, b) { return b.checked_in - a.checked_in || (a.station < b.station ? -1 : 1); });
    return Promise.resolve({ status: 200, body: { checked_in: checkedIn, expected: expected, stations: list } });
  }

  function undoOffline(nonce) {
    var item = queue.find(function (entry) { return entry.nonce === nonce; });
    if (!item || !item.local || item.local.result !== "ok") return Promise.resolve({ status: 409, body: {} });
    var entry = byId.get(item.local.delegate_id);
    return dropQueueItems([nonce]).then(function () {
      render();
      return {
        status: 200,
        body: {
          result: "undone",
          nonce: nonce,
          delegate: entry ? { id: entry.id, name: entry.name, position: entry.position, cooperative: entry.cooperative } : null,
        },
      };
    });
  }

  // Online first; offline, or when the network fails, the local roster decides.
  function either(onlineCall, offlineCall) {
    if (!isOnline() || !meta.conference) {
      return meta.conference ? offlineCall() : onlineCall();
    }
    return onlineCall().then(function (reply) { reachable = true; return reply; }, function () {
      reachable = false;
      render();
      return offlineCall();
    });
  }

  desk.transport = {
    scan: function (payload) {
      return either(function () {
        return network.scan(payload).then(function (reply) { noteAnswer(reply.body); return reply; });
      }, function () { return decideOffline(payload); });
    },
    undo: function (nonce) {
      if (queue.some(function (item) { return item.nonce === nonce; })) return undoOffline(nonce);
      return network.undo(nonce).then(function (reply) { noteAnswer(reply.body); return reply; });
    },
    stats: function () {
      return either(function () { return network.stats(); }, statsOffline);
    },
    search: function (q) {
      return either(function () { return network.search(q); }, function () { return searchOffline(q); });
    },
    walkin: function (payload) {
      function queueIt() {
        return saveQueueItem({ nonce: payload.nonce, kind: "walkin", seq: Date.now(), body: payload }).then(function () {
          render();
          return { status: 202, queued: true, body: {} };
        });
      }
      if (!isOnline()) return queueIt();
      return desk.request("POST", "/walkins", payload).then(function (reply) {
        reachable = true;
        return reply;
      }, function () { reachable = false; return queueIt(); });
    },
  };

  // --- sync -------------------------------------------------------------------------------

  function refreshCsrf() {
    // a staff desk opened offline may hold an old CSRF token: read a fresh one
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var match = /name="csrf-token" content="([^"]+)"/.exec(html);
      if (match) (window.outreach = window.outreach || {}).csrfToken = match[1];
    });
  }

  function uploadScans(retried) {
    var items = queue.filter(function (item) { return item.kind === "scan"; }).slice(0, BATCH);
    if (!items.length) return Promise.resolve({ done: 0, duplicates: 0, flagged: 0 });
    var body = {
      scans: items.map(function (item) {
        return Object.assign({}, item.body, { local_result: item.local ? item.local.result : "" });
      }),
    };
    return desk.request("POST", "/scans:batch", body).then(function (reply) {
      if (reply.status === 400 && !retried && !root.getAttribute("data-token")) {
        return refreshCsrf().then(function () { return uploadScans(true); });
      }
      if (reply.status !== 200 || !reply.body || !reply.body.results) throw new Error("sync " + reply.status);
      var counts = { done: 0, duplicates: 0, flagged: 0 };
      reply.body.results.forEach(function (answer) {
        counts.done += 1;
        var item = items.find(function (entry) { return entry.nonce === answer.nonce; });
        if (answer.flagged) counts.flagged += 1;
        else if (answer.result === "already_checked_in" && item && item.local && item.local.result === "ok") counts.duplicates += 1;
        noteAnswer(answer);
      });
      return dropQueueItems(items.map(function (item) { return item.nonce; })).then(function () { return counts; });
    });
  }

  function uploadWalkins() {
    var items = queue.filter(function (item) { return item.kind === "walkin"; });
    var failed = [];
    return items.reduce(function (chain, item) {
      return chain.then(function () {
        return desk.request("POST", "/walkins", item.body).then(function (reply) {
          if (reply.status >= 500 || reply.status === 401) throw new Error("walkin " + reply.status);
          if (reply.status !== 200 || (reply.body && reply.body.result !== "ok")) failed.push(item.body.full_name);
          return dropQueueItems([item.nonce]);
        });
      });
    }, Promise.resolve()).then(function () { return failed; });
  }

  function sync() {
    if (syncing || !queue.length || navigator.onLine === false) return Promise.resolve();
    syncing = true;
    render();
    var totals = { done: 0, duplicates: 0, flagged: 0 };
    function more() {
      return uploadScans(false).then(function (counts) {
        totals.done += counts.done;
        totals.duplicates += counts.duplicates;
        totals.flagged += counts.flagged;
        if (counts.done && queue.some(function (item) { return item.kind === "scan"; })) return more();
      });
    }
    return more().then(uploadWalkins).then(function (failed) {
      reachable = true;
      lastReport = fill(texts.offline_synced, totals);
      if (failed.length) lastReport += " " + fill(texts.offline_walkin_failed, { names: failed.join(", ") });
      return loadRoster(false);
    }, function () {
      reachable = false;
    }).then(function () {
      syncing = false;
      render();
      desk.refreshStats();
    });
  }

  // --- the banner ---------------------------------------------------------------------------

  function render() {
    var waiting = queue.length;
    root.setAttribute("data-offline", isOnline() ? "" : "1");
    root.setAttribute("data-queue", String(waiting));
    if (banner) {
      var text = "", kind = "info";
      if (!isOnline()) {
        text = fill(texts.offline_banner, { n: waiting });
        kind = "warn";
      } else if (waiting) {
        text = fill(texts.offline_syncing, { n: waiting });
      } else if (lastReport) {
        text = lastReport;
        kind = "ok";
      }
      banner.hidden = !text;
      banner.className = "notice notice-" + kind + " desk-offline";
      banner.textContent = text;
    }
    if (rosterLine) {
      rosterLine.textContent = meta.loadedAt
        ? fill(texts.offline_roster, { n: byId.size, time: formatTime(new Date(meta.loadedAt)) })
        : texts.offline_no_roster;
    }
  }

  // --- start ------------------------------------------------------------------------------

  function registerServiceWorker() {
    var url = root.getAttribute("data-sw");
    if (!url || !navigator.serviceWorker) return;
    navigator.serviceWorker.register(url, { scope: root.getAttribute("data-sw-scope") }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var urls = [window.location.href];
      Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]"), function (node) {
        urls.push(node.src || node.href);
      });
      if (root.getAttribute("data-jsqr")) urls.push(new URL(root.getAttribute("data-jsqr"), window.location.href).href);
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "cached") root.setAttribute("data-offline-ready", "1");
      });
      registration.active.postMessage({ type: "cache", urls: urls });
    }).catch(function () { /* the desk still works online */ });
  }

  window.addEventListener("online", function () { reachable = true; render(); sync(); });
  window.addEventListener("offline", function () { render(); });

  openDb().then(function (opened) {
    db = opened;
    return Promise.all([readAll("roster"), readAll("queue"), readMeta()]);
  }).then(function (loaded) {
    remember(loaded[0]);
    queue = loaded[1].sort(function (a, b) { return a.seq - b.seq; });
    if (loaded[2]) meta = loaded[2];
    // an old conference's roster is not kept on the phone: a day after the end it is dropped
    if (meta.conference && Date.now() > Date.parse(meta.conference.ends_at) + 86400000 && !queue.length) {
      meta = { cursor: null, conference: null, loadedAt: 0, fullAt: 0 };
      byId = new Map();
      byHash = new Map();
      tx(["roster", "meta"], "readwrite", function (t) { t.objectStore("roster").clear(); t.objectStore("meta").clear(); });
    }
    render();
    desk.refreshStats();
    return navigator.onLine === false ? null : loadRoster(true);
  }).then(function () {
    root.setAttribute("data-roster-ready", meta.conference ? "1" : "");
    sync();
    window.setInterval(function () {
      if (navigator.onLine === false) return;
      var full = Date.now() - meta.fullAt > ROSTER_FULL_EVERY_S * 1000;
      loadRoster(full).then(function () {
        root.setAttribute("data-roster-ready", meta.conference ? "1" : "");
      });
    }, ROSTER_SINCE_EVERY_S * 1000);
    window.setInterval(sync, SYNC_EVERY_S * 1000);
  }).catch(function () { render(); });

  registerServiceWorker();
  window.outreachDeskOffline = { sync: sync, loadRoster: loadRoster, queueLength: function () { return queue.length; } };
})();
