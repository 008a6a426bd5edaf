// Tests run real Bun processes and servers, so they get generous timeouts and run files in parallel forks.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    // Fails a file that leaves a process running (see the file).
    setupFiles: ["test/leak-check.ts"],
  },
});
