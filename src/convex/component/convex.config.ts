// The codex-flows Convex component's definition: an app mounts it with `app.use(codexFlows)`.
import { defineComponent } from "convex/server";

export default defineComponent("codexFlows");
