/** Judging a rollout step (app/rollouts/judge-step.ts) on figures made of real sketches: every verdict, from figures alone. */
import { describe, expect, it } from 'vitest';
import { type VersionFigures } from '../../src/app/rollouts/rollout-figures.js';
import { judgeStep, outputDrift } from '../../src/app/rollouts/judge-step.js';
import { rolloutPlan } from '../../src/core/rollout-plan.js';
import { CategoricalSketch, NumericSketch } from '../../src/monitor/index.js';

function figures(requests: number, errors: number, p99: number | null, labels: readonly string[] = []): VersionFigures {
  const label = new CategoricalSketch({});
  for (const l of labels) label.add(l);
  return { requests, errors, p50Ms: p99 === null ? null : p99 / 2, p99Ms: p99, outputs: labels.length ? { label: label.toJSON() } : {} };
}

const TEN = { kind: 'traffic', percent: 10 } as const;

describe('judgeStep', () => {
  const plan = rolloutPlan({ steps: '10,100', minRequests: 20, guards: ['error_rate<0.05', 'p99_ms<1.5x', 'drift<0.2', 'disagreement<0.1'] });

  it('waits until the challenger has answered the least requests, judging nothing before', () => {
    const judged = judgeStep(plan, { step: TEN, challenger: figures(19, 19, 100), champion: figures(500, 0, 10) });
    expect(judged.enough).toBe(false);
    expect(judged.breached).toBeUndefined();
    expect(judged.guards.map((g) => g.status)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
  });

  it('breaches error_rate and relative p99 with the values, limits and champion figures', () => {
    const judged = judgeStep(plan, { step: TEN, challenger: figures(40, 28, 16), champion: figures(360, 0, 10) });
    expect(judged.guards[0]).toEqual({ guard: 'error_rate<0.05', status: 'breached', value: 0.7, limit: 0.05, champion: 0 });
    expect(judged.guards[1]).toEqual({ guard: 'p99_ms<1.5x', status: 'breached', value: 16, limit: 15, champion: 10 });
    expect(judged.breached?.guard).toBe('error_rate<0.05');
    // Disagreement is measured only at a shadow step.
    expect(judged.guards[3]).toMatchObject({ status: 'not_applicable', value: null });
  });

  it('holds a healthy challenger, and measures output drift against the champion', () => {
    const same = ['a', 'b', 'a', 'b'];
    const healthy = judgeStep(plan, { step: TEN, challenger: figures(40, 0, 12, [...same, ...same]), champion: figures(360, 1, 10, [...same, ...same, ...same]) });
    expect(healthy.breached).toBeUndefined();
    expect(healthy.guards.map((g) => g.status)).toEqual(['ok', 'ok', 'ok', 'not_applicable']);
    expect(healthy.guards[2]!.value).toBeCloseTo(0, 12);

    const shifted = judgeStep(plan, { step: TEN, challenger: figures(40, 0, 12, ['b', 'b', 'b', 'b']), champion: figures(360, 0, 10, same) });
    expect(shifted.guards[2]).toMatchObject({ guard: 'drift<0.2', status: 'breached' });
    expect(outputDrift(figures(1, 0, 1, same), figures(1, 0, 1, ['b', 'b', 'b', 'b']))).toBeGreaterThan(0.2);
  });

  it('judges a shadow step on the copies the challenger ran: their errors, latency and disagreement', () => {
    const shadowPlan = rolloutPlan({ steps: 'shadow,100', minRequests: 20, guards: ['error_rate<0.05', 'p99_ms<1.5x', 'disagreement<0.1', 'drift<0.2'] });
    const judged = judgeStep(shadowPlan, {
      step: { kind: 'shadow' },
      challenger: figures(0, 0, null),
      champion: figures(100, 0, 10),
      shadow: { requests: 100, failed: 1, compared: 99, disagreement: 0.2, latencyMs: { p50: 4, p99: 9 }, primaryLatencyMs: { p50: 5, p99: 10 } },
    });
    expect(judged.challenger).toEqual({ requests: 100, errors: 1, p50Ms: 4, p99Ms: 9 });
    expect(judged.guards.map((g) => [g.guard, g.status])).toEqual([
      ['error_rate<0.05', 'ok'],
      ['p99_ms<1.5x', 'ok'],
      ['disagreement<0.1', 'breached'],
      ['drift<0.2', 'not_applicable'],
    ]);
    // Where shadows are not compared, a shadow step has no requests to judge.
    expect(judgeStep(shadowPlan, { step: { kind: 'shadow' }, challenger: figures(0, 0, null), champion: figures(100, 0, 10) }).enough).toBe(false);
  });

  it('never breaches on a figure of zero, and leaves a relative guard unjudged without champion figures', () => {
    const relative = rolloutPlan({ steps: '100', minRequests: 1, guards: ['error_rate<2x', 'p50_ms<=1.2x'] });
    const judged = judgeStep(relative, { step: { kind: 'traffic', percent: 100 }, challenger: figures(50, 0, 8), champion: figures(0, 0, null) });
    expect(judged.guards.map((g) => g.status)).toEqual(['not_applicable', 'not_applicable']);
    const zero = judgeStep(relative, { step: TEN, challenger: figures(50, 0, 8), champion: figures(50, 0, 8) });
    expect(zero.guards.map((g) => g.status)).toEqual(['ok', 'ok']);
  });
});

it('numeric outputs drift by their distributions', () => {
  const low = new NumericSketch({});
  const high = new NumericSketch({});
  for (let i = 0; i < 200; i++) {
    low.add(i / 200);
    high.add(5 + i / 200);
  }
  const of = (s: NumericSketch): VersionFigures => ({ requests: 200, errors: 0, p50Ms: 1, p99Ms: 1, outputs: { value: s.toJSON() } });
  expect(outputDrift(of(low), of(low))).toBeCloseTo(0, 6);
  expect(outputDrift(of(low), of(high))).toBeGreaterThan(0.5);
});
