// Inline SVG charts: vertical bars by day, horizontal bars by name; every bar carries its number.
"use strict";

window.Gw = window.Gw || {};

(function (Gw) {
  const SVG = "http://www.w3.org/2000/svg";

  function node(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function hours(value) {
    return (Math.round(value * 100) / 100).toFixed(2);
  }

  function pixels(container) {
    return Math.max(260, Math.floor(container.clientWidth || 320));
  }

  function empty(container, message) {
    container.replaceChildren();
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = message;
    container.append(note);
  }

  // points: [{date: "YYYY-MM-DD", hours: n}]; today is highlighted.
  function dayBars(container, points, today) {
    if (!points.length) return empty(container, "No days in this period.");
    // Drawn at the container's own width, so that text stays at its size on a phone and on a
    // desktop (the page redraws on resize); wider than that for many days, then it scrolls.
    const width = Math.max(pixels(container), points.length * 40);
    const height = 200;
    const top = 22;
    const bottom = 34;
    const most = Math.max(1, ...points.map(function (p) { return p.hours; }));
    const slot = width / points.length;
    const svg = node("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      role: "img",
      "aria-label": "Hours per day",
      class: "bars",
    });
    points.forEach(function (point, index) {
      const barHeight = ((height - top - bottom) * point.hours) / most;
      const barWidth = Math.min(slot * 0.7, 56);
      const x = index * slot + (slot - barWidth) / 2;
      const middle = index * slot + slot / 2;
      const y = height - bottom - barHeight;
      const group = node("g", { class: point.date === today ? "bar today" : "bar" });
      group.setAttribute("data-date", point.date);
      group.setAttribute("data-hours", hours(point.hours));
      group.append(node("title", {}, point.date + ": " + hours(point.hours) + " h"));
      group.append(node("rect", { x: x, y: y, width: barWidth, height: Math.max(barHeight, 1) }));
      group.append(node("text", { x: middle, y: y - 5, class: "value" }, hours(point.hours)));
      const day = new Date(point.date + "T00:00:00Z");
      const label = day.toLocaleDateString(undefined, { weekday: "short", timeZone: "UTC" });
      group.append(node("text", { x: middle, y: height - bottom + 14, class: "label" }, label));
      group.append(node("text", { x: middle, y: height - bottom + 28, class: "label" }, point.date.slice(5)));
      svg.append(group);
    });
    container.replaceChildren(svg);
  }

  // rows: [{name, hours}]
  function nameBars(container, rows, label) {
    if (!rows.length) return empty(container, "No hours in this period.");
    const rowHeight = 28;
    const width = pixels(container);
    const nameWidth = Math.min(160, Math.round(width * 0.38));
    const most = Math.max(...rows.map(function (r) { return r.hours; }), 0.01);
    const svg = node("svg", {
      viewBox: "0 0 " + width + " " + rows.length * rowHeight,
      width: width,
      height: rows.length * rowHeight,
      role: "img",
      "aria-label": label,
      class: "hbars",
    });
    rows.forEach(function (row, index) {
      const y = index * rowHeight;
      const barWidth = ((width - nameWidth - 60) * row.hours) / most;
      const group = node("g", { class: "bar" });
      group.setAttribute("data-name", row.name);
      group.setAttribute("data-hours", hours(row.hours));
      group.append(node("title", {}, row.name + ": " + hours(row.hours) + " h"));
      group.append(node("text", { x: 0, y: y + 18, class: "name" }, row.name.slice(0, Math.floor(nameWidth / 7))));
      group.append(node("rect", { x: nameWidth, y: y + 5, width: Math.max(barWidth, 1), height: rowHeight - 10 }));
      group.append(node("text", { x: nameWidth + barWidth + 6, y: y + 18, class: "value" }, hours(row.hours)));
      svg.append(group);
    });
    container.replaceChildren(svg);
  }

  Gw.charts = { dayBars: dayBars, nameBars: nameBars, hours: hours };
})(window.Gw);
