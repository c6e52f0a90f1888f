// The check-in desk: handheld scanner field, camera scanning, search, result panel, undo and
// live counts. Talks to /api/checkin/<id>/... through `transport`, the one place that knows the
// network; issue 7's offline desk replaces it with one that decides locally
// (desk-rules.js) and queues the scans, and everything else here stays the same.
(function () {
  "use strict";

  var root = document.getElementById("desk");
  if (!root) return;
  var texts = JSON.parse(document.getElementById("desk-texts").textContent);
  var apiBase = root.getAttribute("data-api");
  var token = root.getAttribute("data-token");
  var canOverride = root.getAttribute("data-can-override") === "1";
  var $ = function (id) { return document.getElementById(id); };

  var codeInput = $("desk-code");
  var stationInput = $("desk-station");
  var overrideBox = $("desk-override");
  var searchInput = $("desk-q");
  var undoButton = $("desk-undo");
  var lastOkNonce = null;
  var STATION_KEY = "outreach.desk.station";

  if (stationInput) {
    var saved = window.localStorage && localStorage.getItem(STATION_KEY);
    if (saved) stationInput.value = saved;
    stationInput.addEventListener("change", function () {
      try { localStorage.setItem(STATION_KEY, stationInput.value.trim()); } catch (e) { /* private mode */ }
    });
  }

  function station() {
    return stationInput ? stationInput.value.trim() : root.getAttribute("data-station");
  }

  // --- transport ----------------------------------------------------------------------------

  function newNonce() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function request(method, path, body) {
    var headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    else if (method !== "GET") headers["X-CSRFToken"] = (window.outreach || {}).csrfToken || "";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(apiBase + path, {
      method: method,
      credentials: token ? "omit" : "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, body: data };
      });
    });
  }

  // Every call goes through window.outreachDesk.transport, so desk-offline.js can replace it.
  function api() { return (window.outreachDesk || {}).transport || transport; }

  var transport = {
    scan: function (payload) { return request("POST", "/scans", payload); },
    undo: function (nonce) { return request("POST", "/scans/" + encodeURIComponent(nonce) + "/undo", {}); },
    stats: function () { return request("GET", "/stats"); },
    search: function (q) { return request("GET", "/search?q=" + encodeURIComponent(q)); },
  };

  // --- feedback: panel, sound, vibration ----------------------------------------------------

  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }
  // Browsers only start sound after a gesture: open the context on the first key or tap.
  ["keydown", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function () { try { audioContext(); } catch (e) { /* none */ } }, { once: true });
  });

  // [frequency Hz, duration s, gap s, wave] per tone
  var SOUNDS = {
    ok: [[880, 0.12, 0, "sine"], [1320, 0.16, 0.02, "sine"]],
    warn: [[660, 0.12, 0, "triangle"], [660, 0.12, 0.08, "triangle"]],
    bad: [[220, 0.45, 0, "square"]],
    info: [[520, 0.1, 0, "sine"]],
  };
  var VIBRATIONS = { ok: 80, warn: [80, 80, 80], bad: [300, 100, 300], info: 40 };

  function feedback(kind) {
    try {
      var context = audioContext();
      if (context) {
        var t = context.currentTime;
        SOUNDS[kind].forEach(function (tone) {
          t += tone[2];
          var oscillator = context.createOscillator();
          var gain = context.createGain();
          oscillator.type = tone[3];
          oscillator.frequency.value = tone[0];
          gain.gain.setValueAtTime(0.2, t);
          gain.gain.exponentialRampToValueAtTime(0.001, t + tone[1]);
          oscillator.connect(gain).connect(context.destination);
          oscillator.start(t);
          oscillator.stop(t + tone[1]);
          t += tone[1];
        });
      }
    } catch (e) { /* sound is a bonus */ }
    if (navigator.vibrate) navigator.vibrate(VIBRATIONS[kind]);
  }

  function kindOf(result) {
    if (result === "ok") return "ok";
    if (result === "already_checked_in") return "warn";
    if (result === "undone") return "info";
    return "bad";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return values[key] == null ? "" : values[key]; });
  }

  // Show an answer of the API ({result, delegate, checked_in_time, station}).
  function show(answer) {
    var result = answer.result;
    var kind = kindOf(result);
    var title;
    if (result === "already_checked_in") {
      title = answer.station
        ? fill(texts.already_checked_in, { time: answer.checked_in_time, station: answer.station })
        : fill(texts.already_checked_in_nostation, { time: answer.checked_in_time });
    } else {
      title = texts[result] || texts.error;
    }
    var panel = $("desk-result");
    panel.className = "desk-result desk-" + kind;
    panel.setAttribute("data-result", result);
    $("desk-result-title").textContent = title;
    var person = answer.delegate;
    $("desk-result-name").textContent = person ? person.name : "";
    $("desk-result-detail").textContent = person
      ? [person.position, person.cooperative].filter(Boolean).join(" · ")
      : "";
    feedback(kind);
  }

  function showError(key) {
    show({ result: key === "expired" ? "expired" : "error" });
  }

  // --- scanning -----------------------------------------------------------------------------

  var recent = {};  // code -> time, so a camera holding a code in view does not resend it

  function send(payload) {
    payload.nonce = newNonce();
    payload.station = station();
    payload.scanned_at = new Date().toISOString();
    if (canOverride && overrideBox && overrideBox.checked) payload.override = true;
    return api().scan(payload).then(function (reply) {
      if (reply.status === 401) return showError("expired");
      if (!reply.body || !reply.body.result) return showError("error");
      show(reply.body);
      if (reply.body.result === "ok") {
        lastOkNonce = reply.body.nonce;
        undoButton.disabled = false;
      }
      refreshStats();
      if (searchInput.value.trim()) runSearch();
    }, function () { showError("error"); });
  }

  function submitCode(raw, fromCamera) {
    var code = (raw || "").trim();
    if (!code) return;
    var now = Date.now();
    if (fromCamera && recent[code] && now - recent[code] < 3000) return;
    recent[code] = now;
    send({ code: code });
  }

  $("desk-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = codeInput.value;
    codeInput.value = "";
    submitCode(value, false);
    codeInput.focus();
  });

  undoButton.addEventListener("click", function () {
    if (!lastOkNonce) return;
    var nonce = lastOkNonce;
    undoButton.disabled = true;
    api().undo(nonce).then(function (reply) {
      if (reply.status === 200) {
        lastOkNonce = null;
        show(reply.body);
        refreshStats();
      } else {
        undoButton.disabled = false;
        showError(reply.status === 401 ? "expired" : "error");
      }
    }, function () { undoButton.disabled = false; showError("error"); });
    codeInput.focus();
  });

  // Keep the scanner field focused: a handheld scanner types wherever the focus is.
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    var typing = active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA" || active.tagName === "SELECT");
    if (!typing && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      codeInput.focus();
    }
  });

  // --- camera -------------------------------------------------------------------------------

  var video = $("desk-video");
  var cameraButton = $("desk-camera");
  var torchButton = $("desk-torch");
  var cameraBox = $("desk-camera-box");
  var cameraStatus = $("desk-camera-status");
  var stream = null, track = null, detector = null, scanning = false, torchOn = false;
  var canvas = document.createElement("canvas");
  var canvasContext = canvas.getContext("2d", { willReadFrequently: true });

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(true);
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr");
      script.onload = function () { resolve(!!window.jsQR); };
      script.onerror = function () { resolve(false); };
      document.head.appendChild(script);
    });
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") !== -1 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }, function () { return null; });
  }

  function decodeFrame() {
    if (!video.videoWidth) return Promise.resolve(null);
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      }, function () { return null; });
    }
    // jsQR reads pixels: scale the frame down to at most 640 px wide, which is plenty for a code
    // filling part of the view and keeps a cheap phone fast.
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvasContext.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = canvasContext.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function tick() {
    if (!scanning) return;
    decodeFrame().then(function (code) {
      if (code && scanning) submitCode(code, true);
    }, function () { /* next frame */ }).then(function () {
      if (scanning) window.setTimeout(tick, 120);
    });
  }

  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = track = null;
    torchOn = false;
    cameraBox.hidden = true;
    torchButton.hidden = true;
    cameraButton.textContent = texts.camera_off;
    cameraButton.setAttribute("aria-pressed", "false");
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus.textContent = texts.camera_unavailable;
      cameraBox.hidden = false;
      return;
    }
    cameraBox.hidden = false;
    cameraStatus.textContent = texts.camera_scanning;
    navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    }).then(function (media) {
      stream = media;
      track = media.getVideoTracks()[0];
      video.srcObject = media;
      return video.play();
    }).then(function () {
      var capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
      torchButton.hidden = !capabilities.torch;
      return makeDetector();
    }).then(function (found) {
      detector = found;
      return detector ? true : loadJsQR();
    }).then(function (ready) {
      if (!ready) throw new Error("no QR decoder");
      scanning = true;
      cameraButton.textContent = texts.camera_on;
      cameraButton.setAttribute("aria-pressed", "true");
      tick();
    }).catch(function () {
      stopCamera();
      cameraBox.hidden = false;
      cameraStatus.textContent = texts.camera_unavailable;
    });
  }

  cameraButton.addEventListener("click", function () {
    if (stream) stopCamera(); else startCamera();
  });

  torchButton.addEventListener("click", function () {
    if (!track) return;
    torchOn = !torchOn;
    track.applyConstraints({ advanced: [{ torch: torchOn }] }).catch(function () { torchOn = !torchOn; });
    torchButton.setAttribute("aria-pressed", torchOn ? "true" : "false");
  });

  // --- search -------------------------------------------------------------------------------

  var searchTimer = null, searchSerial = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function renderGroups(groups) {
    var box = $("desk-search-results");
    box.textContent = "";
    if (!groups.length) {
      box.appendChild(el("p", "muted", texts.no_results));
      return;
    }
    groups.forEach(function (group) {
      var card = el("div", "desk-group");
      var heading = el("p", "desk-group-name", group.cooperative);
      if (group.status !== "confirmed") {
        heading.appendChild(el("span", "badge badge-bad", " " + (texts["status_" + group.status] || group.status)));
      }
      card.appendChild(heading);
      var list = el("ul", "desk-people");
      group.delegates.forEach(function (person) {
        var item = el("li", person.matched ? "desk-person desk-person-match" : "desk-person");
        var who = el("span", "desk-person-name", person.name);
        if (person.position) who.appendChild(el("span", "muted small", " · " + person.position));
        item.appendChild(who);
        if (person.revoked) {
          item.appendChild(el("span", "badge badge-off", texts.revoked_short));
        } else if (person.checked_in_time) {
          item.appendChild(el("span", "badge badge-ok", fill(texts.checked_at, { time: person.checked_in_time })));
        } else {
          var button = el("button", "button button-primary desk-person-checkin", texts.checkin);
          button.type = "button";
          button.setAttribute("data-delegate", person.id);
          button.setAttribute("aria-label", texts.checkin + ": " + person.name);
          item.appendChild(button);
        }
        list.appendChild(item);
      });
      card.appendChild(list);
      box.appendChild(card);
    });
  }

  function runSearch() {
    var q = searchInput.value.trim();
    var serial = ++searchSerial;
    if (q.length < 2) { $("desk-search-results").textContent = ""; return; }
    api().search(q).then(function (reply) {
      if (serial !== searchSerial) return;
      if (reply.status === 401) return showError("expired");
      renderGroups((reply.body && reply.body.groups) || []);
    }, function () { /* keep the old list */ });
  }

  searchInput.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(runSearch, 250);
  });
  searchInput.addEventListener("keydown", function (event) {
    // a scanner typing into the search box by mistake still checks the person in
    if (event.key === "Enter") {
      event.preventDefault();
      var rules = window.outreachDeskRules;
      if (rules && rules.normaliseCode(searchInput.value)) {
        var value = searchInput.value;
        searchInput.value = "";
        submitCode(value, false);
        codeInput.focus();
      } else {
        runSearch();
      }
    }
  });

  $("desk-search-results").addEventListener("click", function (event) {
    var button = event.target.closest("[data-delegate]");
    if (!button) return;
    button.disabled = true;
    send({ delegate_id: Number(button.getAttribute("data-delegate")) });
  });

  // --- live counts --------------------------------------------------------------------------

  function refreshStats() {
    return api().stats().then(function (reply) {
      if (reply.status !== 200) return;
      var data = reply.body;
      var line = fill(texts.of, { n: data.checked_in, total: data.expected });
      $("desk-count").textContent = data.checked_in + "/" + data.expected;
      $("desk-stats-total").textContent = line;
      var list = $("desk-stations");
      list.textContent = "";
      data.stations.forEach(function (row) {
        var item = el("li", null, (row.station || texts.no_station) + ": ");
        item.appendChild(el("strong", null, String(row.checked_in)));
        list.appendChild(item);
      });
    }, function () { /* try again on the next tick */ });
  }

  refreshStats();
  window.setInterval(function () {
    if (!document.hidden) refreshStats();
  }, 5000);
  codeInput.focus();

  // For issue 7 (offline desk) and for tests.
  window.outreachDesk = {
    transport: transport,
    show: show,
    newNonce: newNonce,
    refreshStats: refreshStats,
    texts: texts,
    request: request,
    station: station,
  };
})();
