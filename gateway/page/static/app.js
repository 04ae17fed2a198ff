// The timer page: sign-in, the running timer, this week's entries and the analytics charts.
"use strict";

(function (Gw) {
  const $ = function (id) { return document.getElementById(id); };
  const state = {
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
  let manualPicker = null;

  // -- status line ---------------------------------------------------------------------------

  function say(message, kind) {
    const line = $("status");
    line.textContent = message;
    line.className = "status " + (kind || "info");
    line.hidden = !message;
  }

  function sayError(error, where) {
    const message = Gw.explain(error);
    if (error.status === 401) return signedOut(message);
    if (where) where.textContent = message;
    else say(message, "error");
    if (error.status === 503 || error.status === 0 || error.status === 504) {
      say(message, "error");
      clearTimeout(state.retry);
      state.retry = setTimeout(refreshAll, 1000 * (error.retryAfter || 5));
    }
  }

  Gw.onWaiting(function (count) {
    if (count > 0) say("Waiting for Redmine to answer…", "info");
    else if ($("status").textContent.startsWith("Waiting")) say("");
  });

  // -- session -------------------------------------------------------------------------------

  function signedIn(info) {
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
    return timer.status === "paused";
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
    const started = Date.parse(timer.started_at);
    const shownSeconds = timer.duration_seconds != null ? timer.duration_seconds : null;
    const render = function () {
      const seconds = paused && shownSeconds != null
        ? shownSeconds
        : (Date.now() + state.skewMs - started) / 1000;
      $("clock").textContent = clockText(seconds);
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
      showEntry(answer.data.data);
      say("Timer started.", "ok");
      refreshWeek();
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
      showEntry(entry);
      say(answer.status === 202
        ? "Stopped. Redmine cannot be reached now: the hours will be posted when it is back."
        : "Stopped: " + entry.hours + " h recorded in Redmine.", "ok");
      refreshWeek();
      refreshCharts();
    } catch (error) {
      if (error.status === 422 && error.body.data) {
        showTimer(null);
        showEntry(error.body.data);
      }
      sayError(error, $("timer-error"));
      refreshWeek();
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

  // -- this week -----------------------------------------------------------------------------

  function weekBounds(today) {
    const day = new Date(today + "T00:00:00Z");
    const monday = new Date(day);
    monday.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
    const sunday = new Date(monday);
    sunday.setUTCDate(monday.getUTCDate() + 6);
    return [monday.toISOString().slice(0, 10), sunday.toISOString().slice(0, 10)];
  }

  function dayOf(item) {
    if (item.spent_on) return item.spent_on;
    return (item.started_at || item.created_at).slice(0, 10);
  }

  // Times as the gateway reads them: in its time zone (GATEWAY_TIMEZONE), not the browser's.
  function timeOf(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString([], {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: state.session.timezone,
    });
  }

  const STATUS_TEXT = {
    running: "running",
    paused: "paused",
    pending: "pending: waiting for Redmine",
    failed: "failed",
    recorded: "recorded",
  };

  function entryItem(item) {
    const row = document.createElement("li");
    row.className = "entry " + item.status;
    row.dataset.id = String(item.id);
    row.dataset.status = item.status;
    const what = document.createElement("span");
    what.className = "what";
    const when = item.started_at ? timeOf(item.started_at) + "–" + timeOf(item.ended_at) + " " : "";
    what.textContent = when + "#" + (item.task_uuid || "?") + " " + (item.description || "");
    const hours = document.createElement("span");
    hours.className = "hours";
    hours.textContent = item.hours != null ? Gw.charts.hours(item.hours) + " h" : "…";
    const badge = document.createElement("span");
    badge.className = "badge " + item.status;
    badge.textContent = STATUS_TEXT[item.status] || item.status;
    row.append(what, hours, badge);
    if (item.status === "failed") {
      const why = document.createElement("p");
      why.className = "reason";
      const reasons = (item.errors || []).join("; ") || item.failure_reason || "refused";
      why.textContent = "Redmine: " + reasons;
      row.append(why);
    }
    return row;
  }

  async function refreshWeek() {
    if (!state.session) return;
    const bounds = weekBounds(state.session.today);
    $("week-range").textContent = bounds[0] + " to " + bounds[1];
    try {
      const query = "user=me&per_page=100&from=" + bounds[0] + "&to=" + bounds[1];
      const answer = await Gw.call("GET", "time-trackings?" + query);
      state.week = answer.data.data;
      $("week-error").textContent = "";
      showWeek();
    } catch (error) {
      // What is shown stays, marked as not up to date (the list comes from Redmine).
      if (error.status !== 401) {
        $("week-error").textContent = "Not up to date: " + Gw.explain(error);
      }
      sayError(error);
    }
  }

  // An entry as the gateway just answered it (a start, a stop), shown before the list is read.
  function showEntry(item) {
    const others = state.week.filter(function (known) { return known.id !== item.id; });
    state.week = [item].concat(others);
    showWeek();
  }

  function showWeek() {
    const byDay = new Map();
    state.week.forEach(function (item) {
      const day = dayOf(item);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(item);
    });
    const list = $("week");
    list.replaceChildren();
    Array.from(byDay.keys()).sort().reverse().forEach(function (day) {
      const items = byDay.get(day);
      const total = items.reduce(function (sum, i) { return sum + (i.hours || 0); }, 0);
      const block = document.createElement("li");
      block.className = "day";
      block.dataset.day = day;
      const title = document.createElement("h3");
      const name = new Date(day + "T00:00:00Z").toLocaleDateString(undefined, {
        weekday: "long", month: "short", day: "numeric", timeZone: "UTC",
      });
      title.textContent = name + " · " + Gw.charts.hours(total) + " h";
      const entries = document.createElement("ul");
      items.forEach(function (item) { entries.append(entryItem(item)); });
      block.append(title, entries);
      list.append(block);
    });
    if (!byDay.size) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = "Nothing tracked this week yet.";
      list.append(none);
    }
  }

  async function addManual(event) {
    event.preventDefault();
    $("manual-error").textContent = "";
    const issueId = manualPicker.issueId();
    if (issueId === null) {
      $("manual-error").textContent = "Pick an issue from the list, or type its number.";
      return;
    }
    const day = $("manual-date").value;
    try {
      const answer = await Gw.call("POST", "time-trackings", {
        task_uuid: String(issueId),
        started_at: day + "T" + $("manual-from").value + ":00",
        ended_at: day + "T" + $("manual-to").value + ":00",
        description: $("manual-description").value,
      });
      manualPicker.clear();
      $("manual-description").value = "";
      showEntry(answer.data.data);
      say(answer.status === 202
        ? "Entry kept: it will be posted when Redmine is back."
        : "Entry recorded: " + answer.data.data.hours + " h.", "ok");
      refreshWeek();
      refreshCharts();
    } catch (error) {
      if (error.status === 422 && error.body.data) showEntry(error.body.data);
      sayError(error, $("manual-error"));
      refreshWeek();
    }
  }

  // -- charts --------------------------------------------------------------------------------

  async function refreshCharts() {
    if (!state.session) return;
    const period = "period=" + $("period").value;
    const mine = $("scope").value === "me" ? "&users=" + state.session.user.username : "";
    $("charts-error").textContent = "";
    try {
      const results = await Promise.all([
        Gw.call("GET", "time-trackings/analytics?" + period + mine),
        Gw.call("GET", "time-trackings/team?" + period),
        Gw.call("GET", "time-trackings/productivity?" + period + mine),
      ]);
      state.summary = results[0].data.data;
      drawCharts();
      const summary = state.summary;
      showTeam(results[1].data.data.team_members);
      showProductivity(results[2].data.data, summary);
    } catch (error) {
      sayError(error, $("charts-error"));
    }
  }

  function drawCharts() {
    const summary = state.summary;
    if (!summary || !state.session) return;
    Gw.charts.dayBars(document.querySelector("#chart-days .chart"), summary.trend, state.session.today);
    Gw.charts.nameBars(document.querySelector("#chart-activity .chart"), summary.by_activity, "Hours per activity");
    Gw.charts.nameBars(document.querySelector("#chart-tracker .chart"), summary.by_task_type, "Hours per issue tracker");
  }

  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(drawCharts, 150);
  });

  function showTeam(members) {
    const body = document.querySelector("#team tbody");
    body.replaceChildren();
    members.forEach(function (member) {
      const row = document.createElement("tr");
      [member.name || member.username, Gw.charts.hours(member.total_hours), member.tasks_tracked,
        member.entries, member.last_entry_on || "—"].forEach(function (value, index) {
        const cell = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) cell.scope = "row";
        cell.textContent = String(value);
        row.append(cell);
      });
      body.append(row);
    });
    if (!members.length) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 5;
      cell.textContent = "No hours in this period.";
      row.append(cell);
      body.append(row);
    }
  }

  function showProductivity(figures, summary) {
    const list = document.querySelector("#productivity dl");
    list.replaceChildren();
    const minutes = function (seconds) { return Math.round(seconds / 60) + " min"; };
    [
      ["Total hours", Gw.charts.hours(summary.total_hours)],
      ["Average per day with entries", Gw.charts.hours(figures.avg_daily_hours) + " h"],
      ["Timed", minutes(figures.timed_seconds)],
      ["Focused", minutes(figures.focus_seconds)],
      ["Context switches", String(figures.context_switches)],
      ["Productivity score", figures.productivity_score + " / 100"],
      ["Most productive day", figures.most_productive_day || "—"],
      ["Issues closed", String(figures.tasks_completed)],
    ].forEach(function (pair) {
      const term = document.createElement("dt");
      term.textContent = pair[0];
      const value = document.createElement("dd");
      value.textContent = pair[1];
      list.append(term, value);
    });
  }

  function refreshAll() {
    if (!state.session) return;
    refreshTimer();
    refreshWeek();
    refreshCharts();
  }

  // -- start ---------------------------------------------------------------------------------

  async function boot() {
    issuePicker = new Gw.Picker($("issue-search"), $("issue-list"), function (m) { $("timer-error").textContent = m; });
    manualPicker = new Gw.Picker($("manual-issue"), $("manual-issue-list"), function (m) { $("manual-error").textContent = m; });
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
    $("manual-form").addEventListener("submit", addManual);
    $("period").addEventListener("change", refreshCharts);
    $("scope").addEventListener("change", refreshCharts);
    try {
      const answer = await Gw.call("GET", "session");
      signedIn(answer.data.data);
    } catch (error) {
      if (error.status === 401) signedOut("");
      else {
        signedOut("");
        $("sign-in-error").textContent = Gw.explain(error);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", boot);
})(window.Gw);
