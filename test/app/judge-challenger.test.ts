/** The verdict on a challenger: a pure function over both models' figures on the same rows. */
import { describe, expect, it } from 'vitest';
import { judgeChallenger } from '../../src/app/retraining/judge-challenger.js';

const recent = (challenger: Record<string, number | null>, champion: Record<string, number | null>) => ({ rows: 'recent' as const, count: 300, challenger, champion });
const original = (challenger: Record<string, number | null>, champion: Record<string, number | null>, championRecorded?: Record<string, number | null>) => ({
  rows: 'original' as const,
  count: 4000,
  challenger,
  champion,
  ...(championRecorded ? { championRecorded } : {}),
});
const options = { margin: 0.005, forgetting: 0.05 };

describe('judgeChallenger', () => {
  it('calls a classifier better when its log loss beats the champion\'s by the margin and its ROC AUC is no lower', () => {
    const verdict = judgeChallenger('classification', recent({ logLoss: 0.5, rocAuc: 0.8 }, { logLoss: 0.51, rocAuc: 0.79 }), undefined, options);
    expect(verdict).toMatchObject({ metric: 'logLoss', better: true });
    expect(verdict.reason).toBe("on the 300 recent held-out rows its logLoss 0.5000 against the champion's 0.5100 (better by 0.0100, margin 0.005)");
  });

  it('is not better within the margin, nor with a lower ROC AUC, nor when the metric is undefined', () => {
    expect(judgeChallenger('classification', recent({ logLoss: 0.507, rocAuc: 0.8 }, { logLoss: 0.51, rocAuc: 0.79 }), undefined, options).better).toBe(false);
    const lowerAuc = judgeChallenger('classification', recent({ logLoss: 0.4, rocAuc: 0.7 }, { logLoss: 0.51, rocAuc: 0.79 }), undefined, options);
    expect(lowerAuc).toMatchObject({ better: false, reason: expect.stringMatching(/but its ROC AUC is lower \(0\.7000 against 0\.7900\)/) });
    expect(judgeChallenger('classification', recent({ logLoss: null, rocAuc: null }, { logLoss: 0.5, rocAuc: 0.8 }), undefined, options).better).toBe(false);
  });

  it('refuses a challenger that forgets the original data, against the figures training recorded for a refitted champion', () => {
    const better = recent({ logLoss: 0.5, rocAuc: 0.8 }, { logLoss: 0.55, rocAuc: 0.78 });
    // Scored now, the refitted champion has seen these rows; training's figures are the fair baseline.
    const fair = original({ logLoss: 0.49, rocAuc: 0.75 }, { logLoss: 0.45, rocAuc: 0.8 }, { logLoss: 0.485, rocAuc: 0.757 });
    expect(judgeChallenger('classification', better, fair, options).better).toBe(true);
    const forgets = original({ logLoss: 0.6, rocAuc: 0.7 }, { logLoss: 0.45, rocAuc: 0.8 }, { logLoss: 0.485, rocAuc: 0.757 });
    expect(judgeChallenger('classification', better, forgets, options)).toMatchObject({
      better: false,
      reason: expect.stringMatching(/forgets: on the 4000 original validation rows its logLoss is 0\.6000 against the champion's 0\.4850 \(as training recorded it\), worse by more than 0\.05$/),
    });
    // Against the refitted champion scored on rows it trained on the challenger seems to forget; against training's figures it does not.
    const unfair = original({ logLoss: 0.52, rocAuc: 0.75 }, { logLoss: 0.45, rocAuc: 0.8 });
    expect(judgeChallenger('classification', better, unfair, options)).toMatchObject({ better: false, reason: expect.stringMatching(/against the champion's 0\.4500, worse/) });
    expect(judgeChallenger('classification', better, { ...unfair, championRecorded: { logLoss: 0.485, rocAuc: 0.757 } }, options).better).toBe(true);
  });

  it('judges a regressor on R², higher being better', () => {
    expect(judgeChallenger('regression', recent({ r2: 0.62, rmse: 50 }, { r2: 0.6, rmse: 52 }), original({ r2: 0.5 }, { r2: 0.52 }), options)).toMatchObject({ metric: 'r2', better: true });
    expect(judgeChallenger('regression', recent({ r2: 0.6, rmse: 50 }, { r2: 0.62, rmse: 52 }), undefined, options).better).toBe(false);
    expect(judgeChallenger('regression', recent({ r2: 0.7 }, { r2: 0.6 }), original({ r2: 0.4 }, { r2: 0.52 }), options).better).toBe(false);
  });

  it('says so in the verdict when there were no original validation rows to check forgetting on', () => {
    const why = 'v1 was validated on a file (holdout.csv) that was not kept with it';
    const verdict = judgeChallenger('classification', recent({ logLoss: 0.5, rocAuc: 0.8 }, { logLoss: 0.51, rocAuc: 0.79 }), undefined, { ...options, forgettingSkipped: why });
    expect(verdict).toMatchObject({ better: true, forgettingSkipped: why });
    expect(verdict.table).toHaveLength(1);
    expect(verdict.reason).toBe(`on the 300 recent held-out rows its logLoss 0.5000 against the champion's 0.5100 (better by 0.0100, margin 0.005); not checked for forgetting: ${why}`);
    // With original rows to score the check runs, and nothing is said to be skipped.
    const checked = judgeChallenger('classification', recent({ logLoss: 0.5, rocAuc: 0.8 }, { logLoss: 0.51, rocAuc: 0.79 }), original({ logLoss: 0.45 }, { logLoss: 0.45 }), { ...options, forgettingSkipped: why });
    expect(checked.forgettingSkipped).toBeUndefined();
    expect(checked.reason).not.toMatch(/not checked/);
  });
});
