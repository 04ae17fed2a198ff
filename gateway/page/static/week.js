// This week's entries, grouped by day with their status, and the manual entry form.
"use strict";

window.Gw = window.Gw || {};

(function (Gw) {
  const $ = function (id) { return document.getElementById(id); };
  let manualPicker = null;

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
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: Gw.state.session.timezone,
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
    // A paused timer is still the running one to the API; the list says which.
    const status = item.is_paused ? "paused" : item.status;
    row.className = "entry " + status;
    row.dataset.id = String(item.id);
    row.dataset.status = status;
    const what = document.createElement("span");
    what.className = "what";
    const when = item.started_at ? timeOf(item.started_at) + "–" + timeOf(item.ended_at) + " " : "";
    what.textContent = when + "#" + (item.task_uuid || "?") + " " + (item.description || "");
    const hours = document.createElement("span");
    hours.className = "hours";
    hours.textContent = item.hours != null ? Gw.charts.hours(item.hours) + " h" : "…";
    const badge = document.createElement("span");
    badge.className = "badge " + status;
    badge.textContent = STATUS_TEXT[status] || status;
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
    if (!Gw.state.session) return;
    const bounds = weekBounds(Gw.state.session.today);
    $("week-range").textContent = bounds[0] + " to " + bounds[1];
    try {
      const query = "user=me&per_page=100&from=" + bounds[0] + "&to=" + bounds[1];
      const answer = await Gw.call("GET", "time-trackings?" + query);
      Gw.state.week = answer.data.data;
      $("week-error").textContent = "";
      showWeek();
    } catch (error) {
      // What is shown stays, marked as not up to date (the list comes from Redmine).
      if (error.status !== 401) {
        $("week-error").textContent = "Not up to date: " + Gw.explain(error);
      }
      Gw.sayError(error);
    }
  }

  // An entry as the gateway just answered it (a start, a stop), shown before the list is read.
  function showEntry(item) {
    const others = Gw.state.week.filter(function (known) { return known.id !== item.id; });
    Gw.state.week = [item].concat(others);
    showWeek();
  }

  function showWeek() {
    const byDay = new Map();
    Gw.state.week.forEach(function (item) {
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
      Gw.say(answer.status === 202
        ? "Entry kept: it will be posted when Redmine is back."
        : "Entry recorded: " + answer.data.data.hours + " h.", "ok");
      refreshWeek();
      Gw.analytics.refresh();
    } catch (error) {
      if (error.status === 422 && error.body.data) showEntry(error.body.data);
      Gw.sayError(error, $("manual-error"));
      refreshWeek();
    }
  }


  function bind() {
    manualPicker = new Gw.Picker($("manual-issue"), $("manual-issue-list"), function (m) {
      $("manual-error").textContent = m;
    });
    $("manual-form").addEventListener("submit", addManual);
  }

  Gw.week = { refresh: refreshWeek, showEntry: showEntry, bind: bind };
})(window.Gw);
