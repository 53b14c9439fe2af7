/**
 * Multiple-testing corrections for the p-values of many features tested at once: with 30
 * features and no correction, one feature in two reports drift at the 5% level by chance alone in
 * a report on unchanged data. Bonferroni controls the chance of any false alarm (strict);
 * Benjamini-Hochberg controls the expected share of false alarms among the features flagged.
 */

/** How p-values of several features are adjusted before they are compared with the threshold. */
export type PValueCorrection = 'none' | 'bonferroni' | 'benjamini-hochberg';

/** The correction names, for validation. */
export const P_VALUE_CORRECTIONS: readonly PValueCorrection[] = ['none', 'bonferroni', 'benjamini-hochberg'];

/**
 * Adjusted p-values, in the order given: Bonferroni min(1, m p); Benjamini-Hochberg
 * min(1, min over j >= i of m p_(j) / j) on the ascending order (the step-up adjusted values of
 * statsmodels' multipletests 'fdr_bh' and scipy.stats.false_discovery_control).
 */
export function adjustPValues(pValues: readonly number[], correction: PValueCorrection): number[] {
  const m = pValues.length;
  if (correction === 'none' || m === 0) return [...pValues];
  if (correction === 'bonferroni') return pValues.map((p) => Math.min(1, p * m));
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [p, index] = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    adjusted[index] = running;
  }
  return adjusted;
}
