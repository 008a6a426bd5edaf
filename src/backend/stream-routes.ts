// GET /stream: Server-Sent Events announcing events accepted and runs created or changing status, for the dashboard.
import type { RouteHandler } from "./route-types.js";
import { openSse } from "./sse.js";

/** No history: a client loads the lists with the GET endpoints first, then follows this. */
export const getStream: RouteHandler = ({ service }) => ({
  stream: (response) => {
    const sse = openSse(response);
    const unwatch = service.feed.watchState({
      notice: (notice) => sse.send(notice.kind, notice.data),
      close: () => sse.end(),
    });
    sse.onGone(unwatch);
  },
});
