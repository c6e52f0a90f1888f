// The desk's decision as a pure function: a line-by-line copy of outreach/checkin/rules.py
// (decide). The server decides online scans with the Python version; an offline desk (issue 7)
// decides against its downloaded roster with this one, so both answer the same.
//
//   ticket: null (no ticket with this code) or
//           {conference_id, registration_status, revoked, checked_in_at}
//   clock:  {conference_id, conference_status, now, opens_at, override}  (times: Date or ms)
//
// Returns one of the result codes of the API.
(function (global) {
  "use strict";

  var CLOSED_CONFERENCE_STATUSES = ["draft", "cancelled"];

  function time(value) {
    return value instanceof Date ? value.getTime() : Number(value);
  }

  function decide(ticket, clock) {
    if (!ticket) return "unknown";
    if (ticket.conference_id !== clock.conference_id) return "wrong_conference";
    if (ticket.registration_status === "cancelled") return "cancelled";
    if (ticket.revoked) return "revoked";
    if (ticket.registration_status === "waitlisted") return "waitlisted";
    if (ticket.checked_in_at) return "already_checked_in";
    if (CLOSED_CONFERENCE_STATUSES.indexOf(clock.conference_status) !== -1) return "not_open";
    if (time(clock.now) < time(clock.opens_at) && !clock.override) return "not_open";
    return "ok";
  }

  // The same normalisation as checkin/tickets.py normalise_scanned_code.
  var ALPHABET = /^[A-Z2-7]{26}$/;
  function normaliseCode(raw) {
    if (typeof raw !== "string" || raw.length > 64 || /[^\x00-\x7f]/.test(raw)) return null;
    var code = raw.replace(/[ \t\r\n\v\f]/g, "").toUpperCase();
    return ALPHABET.test(code) ? code : null;
  }

  // The same folding as registration/vn.py fold (the roster's name_key): no diacritics, đ → d.
  function fold(text) {
    return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/đ/g, "d").split(/\s+/).filter(Boolean).join(" ");
  }

  global.outreachDeskRules = { decide: decide, normaliseCode: normaliseCode, fold: fold };
})(window);
