/**
 * The entries of test/fixtures/segments/format-1.seg, a segment written by Berth's first segment
 * writer (commit 8f4a721): every kind of id and column, so that a reader can be checked against it.
 */

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** A UUIDv7 of time `ms` whose other bytes follow from `n`. */
function uuid(ms: number, n: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const tail = (n * 2654435761).toString(16).padStart(8, '0').slice(-8);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${tail.slice(0, 3)}-9${tail.slice(3, 6)}-${tail.slice(0, 4)}${tail}`;
}

/** The logged requests, in the order they came. */
export function fixtureEntries() {
  const entries = [];
  for (let i = 0; i < 5000; i++) {
    const at = T0 + i;
    entries.push({
      requestId: i === 7 ? `caller-${i}` : i === 9 ? uuid(at, i).toUpperCase() : uuid(at, i),
      at,
      version: i < 2500 ? '3' : '4',
      rows: i % 100 === 0 ? 2 : 1,
      outputs: {
        label: i % 100 === 0 ? ['yes', 'no'] : [i % 3 === 0 ? 'yes' : 'no'],
        p: i % 100 === 0 ? [Math.fround(i / 5000), 0.5] : [Math.fround(i / 5000)],
        ...(i === 11 ? { extra: [0.1] } : {}),
      },
      features: {
        age: i % 100 === 0 ? [i / 3, i / 3 + 1] : [i / 3],
        note: i % 100 === 0 ? [`note ${i}`, `note ${i}b`] : [`note ${i}`],
      },
    });
  }
  return entries;
}
