// Reload the commune list when the province changes. Without this script the form still works:
// the server re-renders the communes of the chosen province after submitting.
(function () {
  "use strict";
  document.querySelectorAll("select[data-wards-target]").forEach(function (province) {
    var ward = document.getElementById(province.getAttribute("data-wards-target"));
    if (!ward) return;
    province.addEventListener("change", function () {
      fetch("/api/places/" + encodeURIComponent(province.value) + "/wards", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { wards: [] }; })
        .then(function (data) {
          var first = ward.options[0] ? ward.options[0].cloneNode(true) : null;
          ward.innerHTML = "";
          if (first) { first.value = "0"; ward.appendChild(first); }
          data.wards.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.name;
            ward.appendChild(option);
          });
        });
    });
  });
})();
