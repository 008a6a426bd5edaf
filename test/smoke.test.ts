// The quick start's own path: the hello flow is listed and fires through the built CLI.
import { expect, test } from "vitest";
import { jsonOf, runCli } from "./helpers.js";

test("hello flow is listed and fires", async () => {
  const list = jsonOf<{ flows: { name: string }[] }>(await runCli(["list", "--json"]));
  expect(list.flows.map((flow) => flow.name)).toContain("hello");

  const fired = await runCli(["fire", "--event", "flows/hello/events/hello.json", "--json"]);
  expect(fired.code).toBe(0);
  const report = jsonOf<{ runs: { flow: string; status: string; result: { message: string } }[] }>(fired);
  expect(report.runs).toMatchObject([{ flow: "hello", status: "completed", result: { message: "Hello, world!" } }]);
  expect(fired.stderr).toContain("[hello/greet] Hello, world!");
});
