// The dashboard's entry: a hash router over the pages (hash paths never collide with the API's own paths).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { EventPage } from "./event-page.js";
import { EventsPage } from "./events-page.js";
import { useStreamState } from "./live.js";
import { RunPage } from "./run-page.js";
import { RunsPage } from "./runs-page.js";
import { html } from "./ui.js";

function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  const [page, ...rest] = parts;
  let id;
  try {
    id = rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined;
  } catch {
    return { page: "events" }; // a malformed link: the start page rather than a blank one
  }
  if (page === "runs") return id === undefined ? { page: "runs" } : { page: "run", id };
  if (page === "events" && id !== undefined) return { page: "event", id };
  return { page: "events" };
}

function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => {
      setRoute(currentRoute());
      window.scrollTo(0, 0);
    };
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function Header({ route }) {
  const live = useStreamState();
  const tab = (name, href, active) =>
    html`<a href=${href} class=${active ? "tab active" : "tab"} aria-current=${active ? "page" : undefined}>${name}</a>`;
  return html`<header class="top">
    <a class="brand" href="#/events">codex-flows</a>
    <nav>
      ${tab("Events", "#/events", route.page === "events" || route.page === "event")}
      ${tab("Runs", "#/runs", route.page === "runs" || route.page === "run")}
    </nav>
    <span class=${live ? "live on" : "live"} data-testid="live" title="updates from /stream">${live ? "live" : "offline"}</span>
  </header>`;
}

function App() {
  const route = useRoute();
  let page;
  if (route.page === "run") page = html`<${RunPage} id=${route.id} key=${route.id} />`;
  else if (route.page === "event") page = html`<${EventPage} id=${route.id} key=${route.id} />`;
  else if (route.page === "runs") page = html`<${RunsPage} />`;
  else page = html`<${EventsPage} />`;
  return html`<${Header} route=${route} /><main>${page}</main>`;
}

const root = document.getElementById("app");
// The static "Loading" line goes: render() adds to what the container holds.
root.textContent = "";
render(html`<${App} />`, root);
