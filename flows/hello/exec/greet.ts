// The hello flow's one step: greets the event's `name` with the flow's configured greeting.
import { configValue, defineStep } from "codex-flows/step";
import type { GreetContext } from "../flow.gen.js";

await defineStep<GreetContext>((ctx) => {
  const { name, excited } = ctx.flow.event.payload;
  const greeting = `${configValue(ctx, "greeting", "Hello")}, ${name}${excited ? "!" : "."}`;
  console.log(greeting);
  return { status: "completed", message: greeting };
});
