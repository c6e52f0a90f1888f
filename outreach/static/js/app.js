// Small progressive enhancements shared by every page. The pages work without this file.
(function () {
  "use strict";

  // Ask before destructive actions: <button data-confirm="...">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Our JSON calls send the CSRF token from <meta name="csrf-token"> as X-CSRFToken.
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.outreach = {
    csrfToken: meta ? meta.getAttribute("content") : "",
    postJSON: function (url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.outreach.csrfToken },
        body: JSON.stringify(body),
      });
    },
  };
})();
