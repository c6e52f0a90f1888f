// The desk's walk-in form (issue 7): adds a person at the door and checks them in through
// POST /api/checkin/<id>/walkins. It posts through window.outreachDesk.transport.walkin when the
// desk provides one (the offline desk queues it and replays it on sync, idempotent by nonce),
// else with its own fetch, sending the same credentials as the desk (door link or CSRF header).
(function () {
  "use strict";
  var box = document.getElementById("desk-walkin");
  var form = document.getElementById("walkin-form");
  if (!box || !form) return;
  var desk = document.getElementById("desk");
  var out = document.getElementById("walkin-result");
  var texts = JSON.parse(document.getElementById("walkin-texts").textContent);
  var pending = null; // the nonce of the walk-in being sent: a retry reuses it

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function nonce() {
    var api = window.outreachDesk;
    if (api && api.newNonce) return api.newNonce();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function post(payload) {
    var api = window.outreachDesk;
    if (api && api.transport && api.transport.walkin) return api.transport.walkin(payload);
    var token = desk ? desk.getAttribute("data-token") : "";
    var headers = { Accept: "application/json", "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    else headers["X-CSRFToken"] = (window.outreach || {}).csrfToken || "";
    return fetch(box.getAttribute("data-api"), {
      method: "POST",
      credentials: token ? "omit" : "same-origin",
      headers: headers,
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function say(kind, text) {
    out.className = "walkin-result notice notice-" + kind;
    out.textContent = text;
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".error-text"), function (el) { el.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  function fieldError(name, message) {
    var input = form.elements[name];
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    var p = document.createElement("p");
    p.className = "error-text";
    p.textContent = message;
    input.parentNode.appendChild(p);
  }

  function showOk(body) {
    var person = body.delegate || {};
    say("ok", fill(texts.ok, { name: person.name }));
    if (body.ticket_code) {
      var code = document.createElement("p");
      code.textContent = texts.ticket + ": " + body.ticket_code;
      out.appendChild(code);
    }
    if (person.id) {
      var link = document.createElement("a");
      link.className = "button";
      link.target = "_blank";
      link.rel = "noopener";
      link.href = box.getAttribute("data-badge").replace(/\/0\.pdf$/, "/" + person.id + ".pdf");
      link.textContent = texts.badge;
      out.appendChild(link);
    }
    form.reset();
    pending = null;
    var api = window.outreachDesk;
    if (api && api.refreshStats) api.refreshStats();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    if (!document.getElementById("walkin-consent").checked) {
      say("warn", texts.consent);
      return;
    }
    var station = document.getElementById("desk-station");
    if (!pending) pending = nonce();
    var payload = {
      nonce: pending,
      full_name: form.elements.full_name.value,
      phone: form.elements.phone.value,
      position: form.elements.position.value,
      cooperative_name: form.elements.cooperative_name.value,
      tax_code: form.elements.tax_code.value,
      station: station ? station.value.trim() : "",
      scanned_at: new Date().toISOString(),
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    post(payload).then(function (reply) {
      var body = reply.body || {};
      if (reply.queued) {
        say("info", texts.queued);
        form.reset();
        pending = null;
      } else if (reply.status === 200 && body.result === "ok") {
        showOk(body);
      } else if (reply.status === 400 && body.errors) {
        Object.keys(body.errors).forEach(function (name) { fieldError(name, body.errors[name]); });
        say("bad", texts.invalid);
      } else if (reply.status === 200 && texts[body.result]) {
        var person = body.delegate || {};
        say("warn", fill(texts[body.result], { name: person.name, cooperative: person.cooperative }));
        pending = null; // a refusal changed nothing: the next attempt is a new one
      } else {
        say("bad", texts.error);
      }
    }, function () {
      say("bad", texts.error); // same nonce on retry: never two people for one click
    }).then(function () { button.disabled = false; });
  });
})();
