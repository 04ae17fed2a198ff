// The analytics panel: hours per day, activity and tracker, productivity and the team table.
"use strict";

window.Gw = window.Gw || {};

(function (Gw) {
  const $ = function (id) { return document.getElementById(id); };

  async function refreshCharts() {
    if (!Gw.state.session) return;
    const period = "period=" + $("period").value;
    const mine = $("scope").value === "me" ? "&users=" + Gw.state.session.user.username : "";
    $("charts-error").textContent = "";
    try {
      const results = await Promise.all([
        Gw.call("GET", "time-trackings/analytics?" + period + mine),
        Gw.call("GET", "time-trackings/team?" + period),
        Gw.call("GET", "time-trackings/productivity?" + period + mine),
      ]);
      Gw.state.summary = results[0].data.data;
      drawCharts();
      const summary = Gw.state.summary;
      showTeam(results[1].data.data.team_members);
      showProductivity(results[2].data.data, summary);
    } catch (error) {
      Gw.sayError(error, $("charts-error"));
    }
  }

  function drawCharts() {
    const summary = Gw.state.summary;
    if (!summary || !Gw.state.session) return;
    Gw.charts.dayBars(document.querySelector("#chart-days .chart"), summary.trend, Gw.state.session.today);
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
      ["Average per day with entries", Gw.charts.hours(summary.average_daily_hours) + " h"],
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


  function bind() {
    $("period").addEventListener("change", refreshCharts);
    $("scope").addEventListener("change", refreshCharts);
  }

  Gw.analytics = { refresh: refreshCharts, bind: bind };
})(window.Gw);
