// What an event id may hold: any characters but control characters, which no step could be handed.

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}

/**
 * Why `id` cannot be an event id, or undefined when it can. Steps get the id in CODEX_FLOW_EVENT_ID,
 * and an environment variable cannot hold NUL at all, so such an event could never run a step; the
 * other control characters (newlines, escapes) would forge lines in logs and CLI output.
 */
export function eventIdProblem(id: string): string | undefined {
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index);
    if (isControl(code)) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0");
      return `holds a control character (U+${hex} at index ${index}); ids may hold any other characters`;
    }
  }
  return undefined;
}
