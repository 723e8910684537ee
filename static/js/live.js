/* Live standing of a meeting in session: every few seconds, fetch the fragment named by
   data-live-src and replace the page's elements that share an id with the fragment's (the
   quorum banner, the attendance counts). The element itself is kept and only its class and
   content change, so screen readers announce the banner's aria-live update. Without
   JavaScript the pages still work: the Refresh link reloads them. */
(function () {
  "use strict";

  function apply(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var changed = fresh.body.querySelectorAll("[id]");
    for (var i = 0; i < changed.length; i++) {
      var source = changed[i];
      var target = document.getElementById(source.id);
      if (!target || target.innerHTML === source.innerHTML && target.className === source.className) {
        continue;
      }
      target.className = source.className;
      target.innerHTML = source.innerHTML;
    }
  }

  function start(box) {
    var url = box.getAttribute("data-live-src");
    var every = (parseFloat(box.getAttribute("data-live-seconds")) || 5) * 1000;
    var ok = box.querySelector("[data-live-ok]");
    var failed = box.querySelector("[data-live-failed]");
    var timer = null;
    var failures = 0;
    var stopped = false;

    function show(good) {
      if (ok) { ok.hidden = !good; }
      if (failed) { failed.hidden = good; }
    }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(tick, delay);
    }

    function tick() {
      if (stopped || document.hidden) { return; } // a hidden page resumes on visibilitychange
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text().then(function (text) {
            apply(text);
            failures = 0;
            show(true);
            // The meeting was adjourned elsewhere: nothing will change any more.
            stopped = response.headers.get("X-Consult-Live") === "stop";
            if (!stopped) { schedule(every); }
          });
        })
        .catch(function () {
          failures += 1;
          show(false);
          schedule(Math.min(every * Math.pow(2, failures), 60000));
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && !stopped) { schedule(0); }
    });
    show(true);
    schedule(every);
  }

  var boxes = document.querySelectorAll("[data-live-src]");
  for (var i = 0; i < boxes.length; i++) { start(boxes[i]); }
})();
