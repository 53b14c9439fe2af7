/** The rollout plan and guard grammar (core/rollout-plan.ts, core/rollout-guard.ts): what parses, and the message for what does not. */
import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/core/errors.js';
import { guardHolds, parseRolloutGuard, parseRolloutGuards } from '../../src/core/rollout-guard.js';
import { describeRolloutPlan, parseRolloutSteps, rolloutPlan } from '../../src/core/rollout-plan.js';

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected an error');
}

describe('guards', () => {
  it.each([
    ['error_rate<0.01', { metric: 'error_rate', op: '<', limit: 0.01, relative: false, text: 'error_rate<0.01' }],
    [' error_rate <= 1% ', { metric: 'error_rate', op: '<=', limit: 0.01, relative: false, text: 'error_rate<=1%' }],
    ['p99_ms<50', { metric: 'p99_ms', op: '<', limit: 50, relative: false }],
    ['p99_ms<1.5x', { metric: 'p99_ms', op: '<', limit: 1.5, relative: true, text: 'p99_ms<1.5x' }],
    ['p50_ms<=2X', { metric: 'p50_ms', op: '<=', limit: 2, relative: true }],
    ['error_rate<2x', { metric: 'error_rate', limit: 2, relative: true }],
    ['drift<0.1', { metric: 'drift', limit: 0.1, relative: false }],
    ['disagreement<0.05', { metric: 'disagreement', limit: 0.05, relative: false }],
    ['disagreement<5%', { metric: 'disagreement', limit: 0.05 }],
  ])('%s parses', (text, expected) => {
    expect(parseRolloutGuard(text)).toMatchObject(expected);
  });

  it.each([
    ['latency<50', "'latency' is not a guard metric"],
    ['error_rate>0.01', 'write error_rate<0.01'],
    ['error_rate=0.01', 'write error_rate<0.01'],
    ['error_rate<abc', "'abc' is not a number"],
    ['error_rate<1.5', 'share from 0 to 1'],
    ['error_rate<0', 'share from 0 to 1'],
    ['p99_ms<0', 'must be above 0'],
    ['p99_ms<5%', 'milliseconds, not a percentage'],
    ['drift<1.2x', 'cannot be relative to the champion'],
    ['p99_ms<0x', 'positive multiple'],
    ['', 'not of the form metric<limit'],
    ['error_rate', 'not of the form metric<limit'],
  ])('%s is refused: %s', (text, reason) => {
    const error = failure(() => parseRolloutGuard(text));
    expect(error.code).toBe(Errors.ROLLOUT_GUARD_INVALID.code);
    expect(error.message).toContain(reason);
    expect(error.message).toContain('error_rate<0.01, p99_ms<50');
  });

  it('refuses two guards on one metric, but allows an absolute and a relative one', () => {
    expect(parseRolloutGuards(['p99_ms<50', 'p99_ms<1.5x'])).toHaveLength(2);
    expect(failure(() => parseRolloutGuards(['p99_ms<50', 'p99_ms<40'])).message).toContain('another guard already limits p99_ms');
  });

  it('judges values, relative ones against the champion', () => {
    const absolute = parseRolloutGuard('error_rate<0.01');
    expect(guardHolds(absolute, 0.009)).toBe(true);
    expect(guardHolds(absolute, 0.01)).toBe(false);
    expect(guardHolds(parseRolloutGuard('error_rate<=0.01'), 0.01)).toBe(true);
    const relative = parseRolloutGuard('p99_ms<1.5x');
    expect(guardHolds(relative, 14, 10)).toBe(true);
    expect(guardHolds(relative, 15, 10)).toBe(false);
    // Without a champion figure a relative guard cannot hold.
    expect(guardHolds(relative, 1)).toBe(false);
  });
});

describe('plans', () => {
  it('fills the defaults: shadow, 10, 50, 100, five minutes each, checked every 10 s, 100 requests, error rate under 1%', () => {
    const plan = rolloutPlan();
    expect(plan).toMatchObject({ bakeMs: 300_000, intervalMs: 10_000, minRequests: 100 });
    expect(describeRolloutPlan(plan)).toBe('steps shadow,10,50,100, bake 5m, every 10s, at least 100 requests, guards error_rate<0.01');
  });

  it('takes the flags as written and as JSON', () => {
    const plan = rolloutPlan({ steps: '10,100', bake: '0', interval: '1s', minRequests: '20', guards: ['error_rate<0.05', 'p99_ms<50'] });
    expect(plan).toMatchObject({ steps: [{ kind: 'traffic', percent: 10 }, { kind: 'traffic', percent: 100 }], bakeMs: 0, intervalMs: 1000, minRequests: 20 });
    expect(rolloutPlan({ steps: ['shadow', 25, '100%'], bake: 60_000, interval: 2000, minRequests: 0 }).steps).toEqual([
      { kind: 'shadow' },
      { kind: 'traffic', percent: 25 },
      { kind: 'traffic', percent: 100 },
    ]);
  });

  it.each([
    ['10,shadow,100', 'shadow can only be the first step'],
    ['50,10,100', 'must increase'],
    ['10,150', "'150' is neither shadow nor a whole percentage"],
    ['2.5,100', "'2.5' is neither shadow nor a whole percentage"],
    ['ten', "'ten' is neither shadow nor a whole percentage"],
    ['shadow', 'add at least one percentage after shadow'],
    ['', 'give at least one step'],
  ])('steps %j are refused: %s', (steps, reason) => {
    const error = failure(() => parseRolloutSteps(steps));
    expect(error.code).toBe(Errors.ROLLOUT_PLAN_INVALID.code);
    expect(error.message).toContain(reason);
  });

  it('refuses bad durations and request counts, naming the option', () => {
    expect(failure(() => rolloutPlan({ bake: 'soon' })).message).toContain('Rollout bake "soon" is invalid');
    expect(failure(() => rolloutPlan({ interval: '100ms' })).message).toContain('at least 1s');
    expect(failure(() => rolloutPlan({ interval: '8d' })).message).toContain('at most 7d');
    expect(failure(() => rolloutPlan({ minRequests: '-1' })).message).toContain('Rollout min-requests "-1" is invalid');
    expect(failure(() => rolloutPlan({ guards: ['p99<5'] })).code).toBe(Errors.ROLLOUT_GUARD_INVALID.code);
  });
});
