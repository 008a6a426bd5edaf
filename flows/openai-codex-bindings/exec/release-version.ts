// The version an upstream.release event names, read from its tag (rust-v0.171.0 -> 0.171.0).

/** rust-v0.171.0, v0.171.0 or 0.171.0, with an optional prerelease (rust-v0.172.0-alpha.1). */
const TAG = /^(?:rust-)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

export type ReleaseVersion = { ok: true; version: string } | { ok: false; message: string };

/** The version from `tag`; when the payload also names a version, the two must agree. */
export function releaseVersion(payload: { tag: string; version?: string }): ReleaseVersion {
  const match = TAG.exec(payload.tag.trim());
  if (!match?.[1]) {
    return {
      ok: false,
      message: `cannot read a version from the tag "${payload.tag}" (expected rust-v<major>.<minor>.<patch>, e.g. rust-v0.171.0)`,
    };
  }
  const version = match[1];
  if (payload.version !== undefined && payload.version !== version) {
    return {
      ok: false,
      message: `the tag "${payload.tag}" names version ${version}, but the event's version is "${payload.version}"`,
    };
  }
  return { ok: true, version };
}
