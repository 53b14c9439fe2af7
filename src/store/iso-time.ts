/** Epoch ms as the ISO 8601 UTC text the metadata database keeps times in (it sorts as it reads). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
