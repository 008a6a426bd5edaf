// Running one command to its end without a shell or with `sh -c`, collecting its output for results and errors.
import { spawn } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived: what a person would have seen. */
  output: string;
}

/** Runs `command args...` in `cwd`; never throws for a non-zero exit (a missing command is code 127). */
export function runCommand(command: string, args: string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      output += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
      output += text;
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      const why = error.code === "ENOENT" ? `${command}: command not found` : `${command}: ${error.message}`;
      resolve({ code: 127, stdout, stderr: `${stderr}${why}\n`, output: `${output}${why}\n` });
    });
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, output }));
  });
}

/** Runs a configured check line through `sh -c`, so it may use pipes, `&&` and quoting. */
export function runShell(line: string, cwd: string): Promise<CommandResult> {
  return runCommand("sh", ["-c", line], cwd);
}

/** The last `lines` lines of `text` (and at most `chars` characters), for messages and artifacts. */
export function tail(text: string, lines = 40, chars = 4000): string {
  const kept = text.trimEnd().split("\n").slice(-lines).join("\n");
  return kept.length > chars ? `...${kept.slice(-chars)}` : kept;
}
