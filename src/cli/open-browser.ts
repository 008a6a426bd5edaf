// Opening a URL in the user's browser where the system offers a way; never an error when it does not.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Whether `command` is an executable on PATH: said before trying, so the message is true. */
function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((folder) => {
    try {
      accessSync(join(folder, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts `xdg-open` (Linux, with a display) or `open` (macOS), detached, when it is installed. Returns whether it tried:
 * a headless server has no browser, and the printed link is then the way in.
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  let command: string | undefined;
  if (process.platform === "darwin") command = "open";
  else if (process.platform === "linux" && (env.DISPLAY || env.WAYLAND_DISPLAY)) command = "xdg-open";
  if (!command || !onPath(command, env)) return false;
  try {
    const child = spawn(command, [url], { detached: true, stdio: "ignore" });
    // A missing xdg-open is an 'error' event, not a throw: swallowed, the link was printed anyway.
    child.on("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
