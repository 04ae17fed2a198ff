// The timer page: sign-in, the status line, the running timer; week.js and analytics.js do the rest.
"use strict";

(function (Gw) {
  const $ = function (id) { return document.getElementById(id); };
  const state = Gw.state = {
    session: null,
    timer: null,
    // Server time minus this browser's, from the answers' Date header.
    skewMs: 0,
    tick: null,
    retry: null,
    summary: null,
    week: [],
  };
  let issuePicker = null;

  // -- status line ---------------------------------------------------------------------------

  function say(message, kind) {
    const line = $("status");
    line.textContent = message;
    line.className = "status " + (kind || "info");
    line.hidden = !message;
  }

  function sayError(error, where) {
    const retrying = error.status === 503 || error.status === 0 || error.status === 504;
    const message = Gw.explain(error, retrying);
    if (error.status === 401) return signedOut(message);
    if (where) where.textContent = message;
    else say(message, "error");
    if (retrying) {
      say(message, "error");
      clearTimeout(state.retry);
      state.retry = setTimeout(refreshAll, 1000 * (error.retryAfter || 5));
    }
  }

  Gw.say = say;
  Gw.sayError = sayError;

  Gw.onWaiting(function (count) {
    if (count > 0) say("Waiting for Redmine to answer…", "info");
    else if ($("status").textContent.startsWith("Waiting")) say("");
  });

  // -- session -------------------------------------------------------------------------------

  function signedIn(info) {
    clearTimeout(state.retry);
    state.session = info;
    Gw.setCsrf(info.csrf_token);
    $("who").textContent = info.user.name + " (" + info.user.username + ")";
    $("sign-out").hidden = false;
    $("sign-in").hidden = true;
    $("app").hidden = false;
    $("manual-date").value = info.today;
    $("manual-zone").textContent = "Times are in " + info.timezone + ".";
    refreshAll();
  }

  function signedOut(message) {
    state.session = null;
    state.timer = null;
    state.summary = null;
    state.week = [];
    Gw.setCsrf(null);
    clearInterval(state.tick);
    clearTimeout(state.retry);
    $("who").textContent = "";
    $("sign-out").hidden = true;
    $("app").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    say("");
    $("login").focus();
  }

  async function signIn(body) {
    $("sign-in-error").textContent = "";
    try {
      const answer = await Gw.call("POST", "session", body);
      $("password").value = "";
      $("api-key").value = "";
      signedIn(answer.data.data);
    } catch (error) {
      $("sign-in-error").textContent = Gw.explain(error);
    }
  }

  async function signOut() {
    try {
      await Gw.call("DELETE", "session");
      signedOut("You are signed out.");
    } catch (error) {
      sayError(error);
    }
  }

  // -- the running timer ---------------------------------------------------------------------

  function noteSkew(date) {
    const server = date ? Date.parse(date) : NaN;
    if (!Number.isNaN(server)) state.skewMs = server - Date.now();
  }

  function clockText(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function isPaused(timer) {
    return timer.is_paused === true;
  }

  // The time worked at `nowMs` (the server's clock): the segments as the answer gave them
  // (a running timer's last one ends when the answer was made), plus, unless paused, what
  // has passed since. Without segments, the time since the start.
  function workedSeconds(timer, nowMs) {
    const segments = timer.segments || [];
    if (!segments.length) return (nowMs - Date.parse(timer.started_at)) / 1000;
    let worked = 0;
    for (const segment of segments) {
      worked += Date.parse(segment.ended_at) - Date.parse(segment.started_at);
    }
    if (!isPaused(timer)) {
      worked += nowMs - Date.parse(segments[segments.length - 1].ended_at);
    }
    return worked / 1000;
  }

  function showTimer(timer) {
    state.timer = timer;
    clearInterval(state.tick);
    $("running").hidden = !timer;
    $("start-form").hidden = Boolean(timer);
    if (!timer) return;
    $("running-issue").textContent = "Issue #" + timer.task_uuid;
    $("running-description").textContent = timer.description || "(no description)";
    const paused = isPaused(timer);
    $("running-state").textContent = paused ? "Paused" : "Running";
    const features = state.session.features;
    $("pause").hidden = !features.pause || paused;
    $("resume").hidden = !features.resume || !paused;
    const render = function () {
      $("clock").textContent = clockText(workedSeconds(timer, Date.now() + state.skewMs));
    };
    render();
    if (!paused) state.tick = setInterval(render, 1000);
  }

  async function refreshTimer() {
    try {
      const answer = await Gw.call("GET", "time-trackings/active");
      noteSkew(answer.date);
      showTimer(answer.data.data);
      $("timer-error").textContent = "";
    } catch (error) {
      sayError(error, $("timer-error"));
    }
  }

  async function start(event) {
    event.preventDefault();
    $("timer-error").textContent = "";
    const issueId = issuePicker.issueId();
    if (issueId === null) {
      $("timer-error").textContent = "Pick an issue from the list, or type its number.";
      return;
    }
    try {
      const answer = await Gw.call("POST", "time-trackings", {
        task_uuid: String(issueId),
        description: $("description").value,
      });
      noteSkew(answer.date);
      issuePicker.clear();
      $("description").value = "";
      showTimer(answer.data.data);
      Gw.week.showEntry(answer.data.data);
      say("Timer started.", "ok");
      Gw.week.refresh();
    } catch (error) {
      if (error.status === 409 && error.body.data) showTimer(error.body.data);
      sayError(error, $("timer-error"));
    }
  }

  async function stop() {
    if (!state.timer) return;
    $("timer-error").textContent = "";
    try {
      const answer = await Gw.call("PUT", "time-trackings/" + state.timer.id, {});
      const entry = answer.data.data;
      showTimer(null);
      Gw.week.showEntry(entry);
      say(answer.status === 202
        ? "Stopped. Redmine cannot be reached now: the hours will be posted when it is back."
        : "Stopped: " + entry.hours + " h recorded in Redmine.", "ok");
      Gw.week.refresh();
      Gw.analytics.refresh();
    } catch (error) {
      if (error.status === 422 && error.body.data) {
        showTimer(null);
        Gw.week.showEntry(error.body.data);
      }
      sayError(error, $("timer-error"));
      Gw.week.refresh();
    }
  }

  // Pause and resume exist only once the API has them; a 404 or 405 hides the buttons.
  async function pauseOrResume(action) {
    if (!state.timer) return;
    try {
      const answer = await Gw.call("POST", "time-trackings/" + state.timer.id + "/" + action, {});
      showTimer(answer.data.data);
    } catch (error) {
      if (error.status === 404 || error.status === 405) {
        state.session.features[action] = false;
        $(action).hidden = true;
        $("timer-error").textContent = "This gateway cannot " + action + " timers yet.";
        return;
      }
      sayError(error, $("timer-error"));
    }
  }

  function refreshAll() {
    if (!state.session) return;
    refreshTimer();
    Gw.week.refresh();
    Gw.analytics.refresh();
  }

  // -- start ---------------------------------------------------------------------------------

  async function boot() {
    issuePicker = new Gw.Picker($("issue-search"), $("issue-list"), function (m) { $("timer-error").textContent = m; });
    Gw.week.bind();
    Gw.analytics.bind();
    $("password-form").addEventListener("submit", function (event) {
      event.preventDefault();
      signIn({ login: $("login").value, password: $("password").value });
    });
    $("key-form").addEventListener("submit", function (event) {
      event.preventDefault();
      signIn({ api_key: $("api-key").value.trim() });
    });
    $("sign-out").addEventListener("click", signOut);
    $("start-form").addEventListener("submit", start);
    $("stop").addEventListener("click", stop);
    $("pause").addEventListener("click", function () { pauseOrResume("pause"); });
    $("resume").addEventListener("click", function () { pauseOrResume("resume"); });
    resumeSession();
  }

  // The session this browser may have already; while the gateway cannot tell (its store or the
  // gateway itself unavailable), asked again after Retry-After.
  async function resumeSession() {
    try {
      const answer = await Gw.call("GET", "session");
      signedIn(answer.data.data);
    } catch (error) {
      signedOut("");
      if (error.status === 401) return;
      const retrying = error.status === 503 || error.status === 0 || error.status === 504;
      $("sign-in-error").textContent = Gw.explain(error, retrying);
      if (retrying) {
        clearTimeout(state.retry);
        state.retry = setTimeout(resumeSession, 1000 * (error.retryAfter || 5));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", boot);
})(window.Gw);
