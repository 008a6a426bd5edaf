// A large webhook-style JSON Schema, generated: draft-07, hundreds of definitions, a `oneOf` per event
// over its actions (each action a `const`), like the published webhook schemas flows are built on.
// Tests and benchmarks both use it, so nothing large is committed or downloaded.

const SHARED = ["user", "repository", "organization", "installation", "label", "milestone", "team", "commit"];

/** A shared object definition with a few typed fields and refs to other shared definitions. */
function shared(name, index) {
  const next = SHARED[(index + 1) % SHARED.length];
  return {
    type: "object",
    required: ["id", "node_id"],
    properties: {
      id: { type: "integer" },
      node_id: { type: "string" },
      name: { type: "string" },
      url: { type: "string", format: "uri" },
      created_at: { type: "string", format: "date-time" },
      ...(name === "user" ? { login: { type: "string" }, type: { enum: ["User", "Bot", "Organization"] } } : {}),
      ...(name === "user" ? {} : { owner: { $ref: "#/definitions/user" } }),
      ...(index % 3 === 0 ? { related: { oneOf: [{ $ref: `#/definitions/${next}` }, { type: "null" }] } } : {}),
    },
    additionalProperties: false,
  };
}

/** The event's own object (`push`, `issue`, ...), with fields of every common kind. */
function subject(event, fields) {
  const properties = {};
  for (let n = 0; n < fields; n += 1) {
    const kind = n % 5;
    properties[`${event}_field_${n}`] =
      kind === 0
        ? { type: "string" }
        : kind === 1
          ? { type: "integer", minimum: 0 }
          : kind === 2
            ? { type: "array", items: { $ref: "#/definitions/label" } }
            : kind === 3
              ? { type: ["string", "null"], format: "date-time" }
              : { $ref: "#/definitions/user" };
  }
  return {
    type: "object",
    required: ["id", "number", "title"],
    properties: { id: { type: "integer" }, number: { type: "integer" }, title: { type: "string" }, ...properties },
    additionalProperties: false,
  };
}

/**
 * The schema: for each event `e<i>` and action `a<j>`, `e<i>$a<j>` (one action's payload, `action` a
 * `const`), `e<i>_event` (`oneOf` its actions) and `e<i>` (its subject). `webhook_event` is `oneOf` every
 * `e<i>_event`. `events * (actions + 2) + 9` definitions: the defaults give 337.
 */
export function bigSchema({ events = 41, actions = 6, fields = 24 } = {}) {
  const definitions = {};
  SHARED.forEach((name, index) => {
    definitions[name] = shared(name, index);
  });
  for (let i = 0; i < events; i += 1) {
    const event = `e${i}`;
    definitions[event] = subject(event, fields);
    const branches = [];
    for (let j = 0; j < actions; j += 1) {
      const name = `${event}$a${j}`;
      definitions[name] = {
        type: "object",
        required: ["action", event, "repository", "sender"],
        properties: {
          action: { type: "string", const: `a${j}` },
          [event]: { $ref: `#/definitions/${event}` },
          repository: { $ref: "#/definitions/repository" },
          sender: { $ref: "#/definitions/user" },
          installation: { $ref: "#/definitions/installation" },
          organization: { $ref: "#/definitions/organization" },
          ...(j % 2 === 0
            ? {
                changes: {
                  type: "object",
                  properties: {
                    title: { type: "object", required: ["from"], properties: { from: { type: "string" } } },
                  },
                },
              }
            : {}),
        },
        additionalProperties: false,
      };
      branches.push({ $ref: `#/definitions/${name}` });
    }
    definitions[`${event}_event`] = { oneOf: branches };
  }
  definitions.webhook_event = {
    oneOf: Array.from({ length: events }, (_, i) => ({ $ref: `#/definitions/e${i}_event` })),
  };
  return { $schema: "http://json-schema.org/draft-07/schema#", title: "Webhooks", definitions };
}

/** A payload that fits `e<event>$a<action>` (change it to make it fail in a chosen place). */
export function bigPayload(event = 0, action = 0, { fields = 24 } = {}) {
  const user = { id: 1, node_id: "U1", login: "octocat", type: "User" };
  const subjectValue = { id: 7, number: 7, title: "t" };
  for (let n = 0; n < fields; n += 1) {
    const kind = n % 5;
    subjectValue[`e${event}_field_${n}`] =
      kind === 0 ? "x" : kind === 1 ? 1 : kind === 2 ? [{ id: 2, node_id: "L2" }] : kind === 3 ? null : user;
  }
  return {
    action: `a${action}`,
    [`e${event}`]: subjectValue,
    repository: { id: 3, node_id: "R3", owner: user },
    sender: user,
  };
}
