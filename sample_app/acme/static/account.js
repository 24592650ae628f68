// Acme's account page follows the Wise verification status without a reload.
// "Simulate verification" is sent in the background (the form still works without this script),
// and the kit learns the result from Wise's webhook a moment later; this polls Acme's own status
// JSON and updates the line when it changes.
(function () {
  "use strict";
  var script = document.currentScript;
  var line = document.querySelector("[data-testid=verification-status]");
  var notice = document.querySelector("[data-testid=notice]");
  if (!script || !line) {
    return;
  }
  var url = script.getAttribute("data-status-url");
  var pollsLeft = 600; // about ten minutes at one poll a second

  function say(text) {
    if (notice) {
      notice.textContent = text;
    }
  }

  function show(status, text) {
    if (line.getAttribute("data-status") === status) {
      return;
    }
    line.setAttribute("data-status", status);
    line.className = "verification verification-" + status;
    line.textContent = text;
    var simulate = document.querySelector("[data-testid=simulate-verification]");
    if (status === "verified") {
      if (simulate) {
        simulate.remove(); // nothing left to simulate
      }
      say(""); // the verification line now says it
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

  function simulateInPlace(form) {
    var button = form.querySelector("button");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      say("Asking Wise to verify your profile…");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (body) {
          say(body.problem || body.message);
          button.disabled = !body.message;
        })
        .catch(function () {
          say("We could not reach Acme just now. Please try again.");
          button.disabled = false;
        });
    });
  }

  var simulate = document.querySelector("[data-testid=simulate-verification]");
  if (simulate) {
    simulateInPlace(simulate);
  }
  next(1000);
})();
