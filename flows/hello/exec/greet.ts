// The hello flow's one step: greets the event's `name` with the flow's configured greeting.
const input = await new Response(Bun.stdin.stream()).text();
const { flow } = JSON.parse(input);
const { name, excited } = flow.event.payload;
const greeting = `${flow.config.greeting}, ${name}${excited ? "!" : "."}`;
console.log(greeting);
console.log(`FLOW_RESULT ${JSON.stringify({ status: "completed", message: greeting })}`);
