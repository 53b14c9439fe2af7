/**
 * Version tags: a flat object of short strings (`{"team": "ml"}`), which the registry stores and
 * the dashboard shows as they are. Anything else (a nested object, a list, a bare string that
 * would be spread into `{"0": "a", ...}`) is refused where it enters.
 */

/** Bounds of a version's tags. */
export const TAG_LIMITS = { count: 64, keyLength: 128, valueLength: 1024 } as const;

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** What is wrong with `value` as tags, or undefined when it is a valid tag object. */
export function tagsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `tags must be a JSON object of strings, like {"team": "ml"}, not ${kind(value)}`;
  }
  const entries = Object.entries(value);
  if (entries.length > TAG_LIMITS.count) return `there are ${entries.length} tags; at most ${TAG_LIMITS.count} are allowed`;
  for (const [key, tag] of entries) {
    if (key.length === 0 || key.length > TAG_LIMITS.keyLength) return `tag name ${JSON.stringify(key.slice(0, 40))} must be 1 to ${TAG_LIMITS.keyLength} characters`;
    if (typeof tag !== 'string') return `tag '${key}' must be a string, not ${kind(tag)}`;
    if (tag.length > TAG_LIMITS.valueLength) return `tag '${key}' is ${tag.length} characters long; at most ${TAG_LIMITS.valueLength} are allowed`;
  }
  return undefined;
}
