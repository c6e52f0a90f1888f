// Upload progress for briefing documents. Each chosen file is sent on its own request
// (XMLHttpRequest, so upload progress events exist) with the page's CSRF token in a header;
// the list shows a bar and the server's answer per file. Without this script the form is a
// plain multipart form and the server answers with a page.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function row(list, name) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status small";
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(status);
    list.appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function send(form, fieldName, file, view, many) {
    return new Promise(function (resolve) {
      var data = new FormData();
      form.querySelectorAll("input:not([type=file]), select, textarea").forEach(function (el) {
        if (!el.name || (el.type === "checkbox" && !el.checked)) return;
        if (many && el.name === "title") return; // one title cannot name several files
        data.append(el.name, el.value);
      });
      data.append(fieldName, file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) view.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
        var ok = xhr.status >= 200 && xhr.status < 300 && answer.ok;
        view.bar.value = ok ? 100 : view.bar.value;
        view.status.textContent = answer.message || (ok ? "✓" : "✕ " + xhr.status);
        view.item.classList.add(ok ? "is-done" : "is-failed");
        resolve({ ok: ok, redirect: answer.redirect });
      });
      xhr.addEventListener("error", function () {
        view.status.textContent = "✕";
        view.item.classList.add("is-failed");
        resolve({ ok: false });
      });
      xhr.send(data);
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector('input[type="file"]');
    var list = form.querySelector("[data-upload-list]");
    if (!input || !list || !window.FormData || !window.XMLHttpRequest) return;
    form.addEventListener("submit", function (event) {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return; // let the server say what is missing
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      list.innerHTML = "";
      var results = [];
      files.reduce(function (chain, file) {
        return chain.then(function () {
          return send(form, input.name, file, row(list, file.name), files.length > 1).then(function (result) {
            results.push(result);
          });
        });
      }, Promise.resolve()).then(function () {
        if (button) button.disabled = false;
        var failed = results.some(function (r) { return !r.ok; });
        var target = results.length && results[results.length - 1].redirect;
        if (!failed && target) window.location.assign(target);
      });
    });
  });
})();
