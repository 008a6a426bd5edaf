#!/usr/bin/env node
// `codex-flows run` alone: the CLI loader (src/cli-loader.ts) runs this smaller bundle for `run`, so a CI
// step's start parses and deserializes half the code (bench P2). Same program, same `run` as src/cli.ts.
import { createProgram, runProgram } from "./cli/program.js";
import { registerRun } from "./cli/run-command.js";

const cli = createProgram();
registerRun(cli);
void runProgram(cli);
