// Talking to the backend from the page: JSON reads, POSTs carrying the CSRF token, and id encoding.

/** Put in the page by the service when a session is logged in; empty when the service has no secret. */
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const login = response.status === 401 ? " (log in again: codex-flows backend open)" : "";
    throw new ApiError(response.status, `${body.error ?? `HTTP ${response.status}`}${login}`);
  }
  return body;
}

export async function getJson(path) {
  return answer(await fetch(path, { headers: { accept: "application/json" }, credentials: "same-origin" }));
}

export async function postJson(path, body = {}) {
  const headers = { accept: "application/json", "content-type": "application/json" };
  if (csrf) headers["x-csrf-token"] = csrf;
  return answer(await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" }));
}

/** A path segment for an id: the service splits paths as sent, so `.` and `..` must be written %2E. */
export function segment(id) {
  const encoded = encodeURIComponent(id);
  return /^\.+$/.test(encoded) ? encoded.replaceAll(".", "%2E") : encoded;
}
