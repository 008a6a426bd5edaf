// A cap on how deeply a request body's JSON nests, checked on the raw bytes before parsing.

/**
 * JSON.parse copes with any depth, but JSON.stringify, schema checks and every other recursive walk
 * of the value overflow the stack somewhere past ~5,000 levels (a 1 MiB body can nest 500,000 deep).
 * No FlowEvent needs more than a few levels; 64 leaves room for real payloads.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `body` opens more than `max` arrays or objects inside one another. Brackets inside strings
 * do not count. Works on UTF-8 bytes: every byte of a multi-byte character is >= 0x80, so none of
 * them is mistaken for a quote, backslash or bracket. Malformed JSON is left for the parser to report.
 */
export function nestsDeeperThan(body: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth++;
      if (depth > max) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
