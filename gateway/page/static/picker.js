// The issue picker: type a number or subject words, choose among the open issues Redmine shows.
"use strict";

window.Gw = window.Gw || {};

(function (Gw) {
  const DEBOUNCE_MS = 250;

  class Picker {
    constructor(input, list, onError) {
      this.input = input;
      this.list = list;
      this.onError = onError;
      this.chosen = null;
      this.choices = [];
      this.active = -1;
      this.asked = 0;
      this.debounce = null;
      input.addEventListener("input", () => this.typed());
      input.addEventListener("keydown", (event) => this.key(event));
      input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    }

    // The issue id to use: the chosen one, or a number typed as is.
    issueId() {
      if (this.chosen) return this.chosen.id;
      const typed = this.input.value.trim().replace(/^#/, "");
      return /^\d+$/.test(typed) ? Number(typed) : null;
    }

    clear() {
      this.input.value = "";
      this.chosen = null;
      this.close();
    }

    typed() {
      this.chosen = null;
      clearTimeout(this.debounce);
      const text = this.input.value.trim();
      if (!text) return this.close();
      this.debounce = setTimeout(() => this.search(text), DEBOUNCE_MS);
    }

    async search(text) {
      const ask = ++this.asked;
      try {
        const answer = await Gw.call("GET", "issues?q=" + encodeURIComponent(text));
        if (ask !== this.asked) return; // a later search superseded this one
        this.show(answer.data.data);
        this.onError("");
      } catch (error) {
        if (ask === this.asked) this.onError(Gw.explain(error));
      }
    }

    show(issues) {
      this.choices = issues;
      this.active = -1;
      this.list.replaceChildren();
      issues.forEach((issue, index) => {
        const item = document.createElement("li");
        item.id = this.list.id + "-" + issue.id;
        item.setAttribute("role", "option");
        item.dataset.issueId = String(issue.id);
        item.textContent = "#" + issue.id + " " + issue.subject + " (" + issue.project + ")";
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          this.choose(index);
        });
        this.list.append(item);
      });
      if (!issues.length) {
        const none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No open issue matches.";
        this.list.append(none);
      }
      this.list.hidden = false;
      this.input.setAttribute("aria-expanded", "true");
    }

    choose(index) {
      const issue = this.choices[index];
      if (!issue) return;
      this.chosen = issue;
      this.input.value = "#" + issue.id + " " + issue.subject;
      this.close();
    }

    close() {
      this.list.hidden = true;
      this.input.setAttribute("aria-expanded", "false");
      this.input.removeAttribute("aria-activedescendant");
    }

    key(event) {
      if (this.list.hidden || !this.choices.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.active = (this.active + step + this.choices.length) % this.choices.length;
        Array.from(this.list.children).forEach((item, index) => {
          item.classList.toggle("active", index === this.active);
          if (index === this.active) this.input.setAttribute("aria-activedescendant", item.id);
        });
      } else if (event.key === "Enter" && this.active >= 0) {
        event.preventDefault();
        this.choose(this.active);
      } else if (event.key === "Escape") {
        this.close();
      }
    }
  }

  Gw.Picker = Picker;
})(window.Gw);
