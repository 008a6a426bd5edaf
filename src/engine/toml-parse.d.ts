// Types for the one @iarna/toml entry codex-flows imports: the string parser alone, which (unlike the
// package's main entry) does not pull in node:stream, so it can be bundled into the CLI.
declare module "@iarna/toml/parse-string.js" {
  export default function parseString(text: string): Record<string, unknown>;
}
