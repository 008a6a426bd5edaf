// Matching an event to steps: the trigger type must equal the event type and the payload must fit the schema.
import { describeError, FlowConfigError } from "../core/errors.js";
import type { FlowDefinition, FlowEvent, SkippedStep, StepDefinition } from "../core/types.js";
import { payloadValidator } from "../schema/payload-schema.js";
import { describeRejection } from "../schema/rejection.js";

export interface StepMatch {
  flow: FlowDefinition;
  step: StepDefinition;
}

export type StepVerdict =
  | { matched: true }
  | {
      matched: false;
      /** One line, whatever the schema's size. */
      reason: string;
      /** Every schema error, when the payload was invalid (for --verbose and --json). */
      errors?: string[];
      /** Set when the step's own schema is broken. */
      error?: FlowConfigError;
    };

export interface MatchResult {
  matches: StepMatch[];
  skipped: SkippedStep[];
  /**
   * The skipped steps of the event's own type: their payload schema turned the event away (or could
   * not be compiled). When there are some and nothing matched, the event was meant for a step and fits none.
   */
  rejected: SkippedStep[];
  /** Steps whose payload schema could not be compiled: configuration errors, not mere non-matches. */
  errors: FlowConfigError[];
}

/** Whether one step accepts the event, and why not when it does not. */
export function matchStep(event: FlowEvent, step: StepDefinition): StepVerdict {
  if (step.trigger.type !== event.type) {
    return { matched: false, reason: `type differs: event is "${event.type}", step wants "${step.trigger.type}"` };
  }
  if (step.trigger.schema === undefined) return { matched: true };
  let validate: ReturnType<typeof payloadValidator>;
  try {
    validate = payloadValidator(step.trigger.schema);
  } catch (error) {
    const configError =
      error instanceof FlowConfigError ? error : new FlowConfigError(describeError(error), { cause: error });
    return { matched: false, reason: `schema error: ${configError.describe()}`, error: configError };
  }
  if (validate(event.payload)) return { matched: true };
  const { reason, errors } = describeRejection(validate, event.payload);
  return { matched: false, reason, errors };
}

/** Every step of every flow checked against the event, in discovery order. */
export function matchEvent(event: FlowEvent, flows: FlowDefinition[]): MatchResult {
  const result: MatchResult = { matches: [], skipped: [], rejected: [], errors: [] };
  for (const flow of flows) {
    for (const step of flow.steps) {
      const verdict = matchStep(event, step);
      if (verdict.matched) {
        result.matches.push({ flow, step });
        continue;
      }
      const skip = {
        flow: flow.name,
        step: step.name,
        reason: verdict.reason,
        ...(verdict.errors ? { errors: verdict.errors } : {}),
      };
      result.skipped.push(skip);
      if (step.trigger.type === event.type) result.rejected.push(skip);
      if (verdict.error) result.errors.push(verdict.error);
    }
  }
  return result;
}
