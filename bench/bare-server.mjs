// P3's floor: a bare node:http server that does what intake must do before it can answer (read the
// body, check its HMAC signature, JSON.parse it) and answers 202 without storing anything.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.CODEX_FLOW_BACKEND_SECRET ?? "bench-secret";

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const given = Buffer.from(String(request.headers["x-flow-signature-256"] ?? ""));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      response.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body.toString("utf8"));
    const answer = JSON.stringify({ status: "accepted", eventId: event.id, runIds: [], matched: 0, skipped: [] });
    response.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    response.end(answer);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
