// Acme's account page follows the Wise verification status without a reload.
// The kit learns it from Wise's webhook, a moment after "Simulate verification" (or Wise's own
// checks); this polls Acme's own status JSON and updates the line when it changes.
(function () {
  "use strict";
  var script = document.currentScript;
  var line = document.querySelector("[data-testid=verification-status]");
  if (!script || !line) {
    return;
  }
  var url = script.getAttribute("data-status-url");
  var pollsLeft = 600; // about ten minutes at one poll a second

  function show(status, text) {
    if (line.getAttribute("data-status") === status) {
      return;
    }
    line.setAttribute("data-status", status);
    line.className = "verification verification-" + status;
    line.textContent = text;
    var simulate = document.querySelector("[data-testid=simulate-verification]");
    if (status === "verified" && simulate) {
      simulate.remove(); // nothing left to simulate
    }
  }

  function next(delay) {
    pollsLeft -= 1;
    if (pollsLeft > 0 && line.getAttribute("data-status") !== "verified") {
      window.setTimeout(poll, delay);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.status === "linked") {
          show(body.verification_status, body.verification_text);
        }
        next(1000);
      })
      .catch(function () {
        next(3000);
      });
  }

  next(1000);
})();
