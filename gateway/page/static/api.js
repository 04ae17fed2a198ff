// Calls to the gateway's page API (same origin, session cookie, X-CSRF-Token on changes), and
// a sentence for every error shape the gateway answers.
"use strict";

window.Gw = window.Gw || {};

(function (Gw) {
  const BASE = "api/";
  const TIMEOUT_MS = 30000;
  // After this long without an answer the page says it is waiting on Redmine.
  const SLOW_MS = 2500;
  let csrfToken = null;
  let waiting = 0;
  let onWaiting = function () {};

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      super((body && body.message) || "HTTP " + status);
      this.status = status;
      this.code = (body && body.error_code) || "";
      this.errors = (body && body.errors) || {};
      this.body = body || {};
      this.retryAfter = retryAfter ? Number(retryAfter) : null;
    }
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrfToken && method !== "GET") headers["X-CSRF-Token"] = csrfToken;
    const abort = new AbortController();
    const deadline = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
    let counted = false;
    const slow = setTimeout(function () {
      counted = true;
      waiting += 1;
      onWaiting(waiting);
    }, SLOW_MS);
    let response;
    try {
      response = await fetch(BASE + path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (failure) {
      const message = abort.signal.aborted
        ? "The gateway did not answer within 30 seconds."
        : "The gateway cannot be reached: check your connection.";
      throw new ApiError(0, { message: message, error_code: "NETWORK" }, null);
    } finally {
      clearTimeout(deadline);
      clearTimeout(slow);
      if (counted) {
        waiting -= 1;
        onWaiting(waiting);
      }
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (unreadable) { data = null; }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data, response.headers.get("Retry-After"));
    }
    return { status: response.status, data: data, date: response.headers.get("Date") };
  }

  // `retrying`: the page asks again by itself after Retry-After (it says so).
  function explain(error, retrying) {
    const redmine = (error.errors && error.errors.redmine) || [];
    switch (error.status) {
      case 0:
        return error.message;
      case 401:
        return error.code === "SESSION_EXPIRED"
          ? "Your session has ended; sign in again."
          : error.message;
      case 403:
        return error.code === "CSRF_FAILED"
          ? "This page is out of date: reload it."
          : "Redmine does not allow this for your account.";
      case 404:
        return "Not found: " + error.message;
      case 405:
        return "This gateway does not offer that yet.";
      case 409:
        return error.message;
      case 422:
        if (error.code === "REDMINE_REJECTED") {
          return "Redmine refused it: " + (redmine.join("; ") || error.message);
        }
        return error.message + fieldMessages(error.errors);
      case 502:
        return "Redmine answered something the gateway cannot use; try again later.";
      case 503:
        return retrying
          ? error.message + " Retrying in " + (error.retryAfter || 5) + " s."
          : error.message;
      case 504:
        return "Redmine is slow to answer; try again in a moment.";
      default:
        return error.message;
    }
  }

  function fieldMessages(errors) {
    const parts = [];
    Object.keys(errors || {}).forEach(function (name) {
      parts.push(name + ": " + errors[name].join(", "));
    });
    return parts.length ? " (" + parts.join("; ") + ")" : "";
  }

  Gw.ApiError = ApiError;
  Gw.call = call;
  Gw.explain = explain;
  Gw.setCsrf = function (token) { csrfToken = token; };
  Gw.onWaiting = function (listener) { onWaiting = listener; };
})(window.Gw);
