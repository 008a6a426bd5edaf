// Reads the run context from stdin and reports completed: the least a real step does.
const chunks: Uint8Array[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
const { flow } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
console.log(`FLOW_RESULT ${JSON.stringify({ status: "completed", message: flow.step })}`);
