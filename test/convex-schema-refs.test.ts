// @vitest-environment edge-runtime
// Trigger schemas split over files: synced with the sibling files their `$ref`s reach, and checked in the component as the local backend (Ajv) checks them.
import { join } from "node:path";
import { expect, test } from "vitest";
import { convexManifests } from "../src/convex/manifests.js";
import { payloadValidator as localValidator } from "../src/schema/payload-schema.js";
import { convexApp, setUp } from "./convex-helpers.js";
import { copyFixture } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

const valid = {
  repo: "openai/codex",
  version: "1.2.3",
  assets: [{ name: "codex.tar.gz", size: 10 }],
};

test("syncManifests carries the files a trigger schema reaches through $refs, and only those", () => {
  const [flow] = convexManifests(copyFixture("convex-refs"));
  const step = flow?.steps[0];
  expect(step?.schemaUrl).toBe("file:///codex-flows/schemas/release.schema.json");
  expect(step?.schemaFiles?.map((file) => file.url)).toEqual([
    "file:///codex-flows/schemas/asset.schema.json",
    "file:///codex-flows/schemas/common.schema.json",
  ]);
  expect(JSON.parse(step?.schemaFiles?.[1]?.text ?? "null")).toMatchObject({ definitions: { size: { minimum: 0 } } });
});

test("a payload is matched through cross-file $refs as locally, and refused with the reason", async () => {
  const cwd = copyFixture("convex-refs");
  const local = localValidator(join(cwd, "flows", "release", "schemas", "release.schema.json"));
  const app = await setUp(convexApp(), cwd, { leaseMs: 30_000, retryBackoffMs: 0 });
  const fire = (id: string, payload: unknown) =>
    app.mutation<{ runIds: string[]; skipped: { reason: string }[] }>("fireEvent", {
      event: event(id, "upstream.release", payload),
    });

  expect(local(valid)).toBe(true);
  const matched = await fire("ok", valid);
  expect(matched.runIds).toHaveLength(1);
  expect(matched.skipped).toEqual([]);

  // Each broken in a different file: release -> common, release -> asset, asset -> common.
  const broken: [unknown, RegExp][] = [
    [{ ...valid, version: "1.2" }, /^payload invalid at \/version: /],
    [{ ...valid, repo: "no slash" }, /^payload invalid at \/repo: /],
    [{ ...valid, assets: [{ size: 1 }] }, /^payload invalid at \/assets\/0: .*name/],
    [{ ...valid, assets: [{ name: "x", size: -1 }] }, /^payload invalid at \/assets\/0\/size: /],
  ];
  for (const [index, [payload, reason]] of broken.entries()) {
    expect(local(payload)).toBe(false);
    const refused = await fire(`bad-${index}`, payload);
    expect(refused.runIds).toEqual([]);
    expect(refused.skipped).toEqual([{ flow: "release", step: "publish", reason: expect.stringMatching(reason) }]);
  }
});
