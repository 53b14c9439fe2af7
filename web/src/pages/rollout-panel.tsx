import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ModelRecord, VersionRecord } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { every, queries } from '../api/queries.js';
import type { PendingAction } from '../components/confirm-dialog.js';
import { EmptyState } from '../components/empty-state.js';
import { RolloutView } from '../components/rollout-view.js';

/** Props of {@link RolloutPanel}. */
export interface RolloutPanelProps {
  readonly model: ModelRecord;
  readonly versions: readonly VersionRecord[];
  /** Asks the page to confirm and run an action. */
  readonly confirm: (action: PendingAction) => void;
}

const DEFAULTS = { steps: 'shadow,10,50,100', bake: '5m', interval: '10s', minRequests: 100, guards: 'error_rate<0.01 p99_ms<1.5x' };

/**
 * The model's progressive rollout: the latest one as it goes (steps, latest check guard by guard,
 * timeline, the reason for a roll back), with abort while it runs, and a form that starts one
 * from production to another version. Starting and aborting change what serves traffic, so both
 * ask first. The server steps and judges the rollout; this panel only shows what it says.
 */
export function RolloutPanel({ model, versions, confirm }: RolloutPanelProps) {
  const rollouts = useQuery({ ...queries.rollouts(model.name), refetchInterval: every(3_000) });
  const production = model.aliases.production;
  const candidates = versions.map((v) => v.version).filter((v) => v !== production).sort((a, b) => b - a);
  const [challenger, setChallenger] = useState<number | ''>(candidates[0] ?? '');
  const [steps, setSteps] = useState(DEFAULTS.steps);
  const [bake, setBake] = useState(DEFAULTS.bake);
  const [interval, setCheckInterval] = useState(DEFAULTS.interval);
  const [minRequests, setMinRequests] = useState(DEFAULTS.minRequests);
  const [guards, setGuards] = useState(DEFAULTS.guards);

  const latest = rollouts.data?.rollouts[0];
  const running = latest?.state === 'running' ? latest : undefined;

  const start = (): void => {
    if (challenger === '' || production === undefined) return;
    const guardList = guards.split(/[\s,]+/).filter(Boolean);
    confirm({
      title: `Roll out version ${challenger}`,
      message: (
        <p>
          Traffic moves from version {production} to version {challenger} in steps <b>{steps}</b>, {bake} each, checked every {interval} against{' '}
          <code>{guardList.join(' ')}</code>. A breached guard sends every request back to version {production} at once; passing every step makes version{' '}
          {challenger} production.
        </p>
      ),
      confirmLabel: `Start rollout to v${challenger}`,
      danger: true,
      run: async () => {
        await berthApi.startRollout(model.name, { version: challenger, steps, bake, interval, minRequests, guards: guardList });
      },
    });
  };

  return (
    <section className="panel" aria-labelledby="rollout-title">
      <div className="panel-head">
        <h2 id="rollout-title">Rollout</h2>
        {running ? (
          <button
            type="button"
            className="button button-danger button-small"
            onClick={() =>
              confirm({
                title: 'Abort the rollout',
                message: (
                  <p>
                    Every request goes back to version {running.champion} at once, and version {running.challenger} takes none. Production stays at version{' '}
                    {running.champion}.
                  </p>
                ),
                confirmLabel: 'Abort rollout',
                danger: true,
                run: async () => {
                  await berthApi.abortRollout(model.name, running.id);
                },
              })
            }
          >
            Abort rollout
          </button>
        ) : null}
      </div>
      {latest ? (
        <RolloutView rollout={latest} />
      ) : (
        <EmptyState title="No rollout yet">
          A rollout moves traffic from production to another version step by step, and sends it back at once when a guard breaks.
        </EmptyState>
      )}
      {running ? null : production === undefined ? (
        <p className="muted">Point production at a version to roll out from it.</p>
      ) : candidates.length === 0 ? (
        <p className="muted">Register another version to roll out to.</p>
      ) : (
        <form
          className="rollout-form"
          aria-label="Start a rollout"
          onSubmit={(event) => {
            event.preventDefault();
            start();
          }}
        >
          <label className="field">
            <span>Challenger</span>
            <select value={challenger} onChange={(e) => setChallenger(Number(e.target.value))} required>
              {candidates.map((n) => (
                <option key={n} value={n}>
                  v{n}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Steps</span>
            <input value={steps} onChange={(e) => setSteps(e.target.value)} required />
          </label>
          <label className="field">
            <span>Bake per step</span>
            <input value={bake} onChange={(e) => setBake(e.target.value)} required />
          </label>
          <label className="field">
            <span>Check every</span>
            <input value={interval} onChange={(e) => setCheckInterval(e.target.value)} required />
          </label>
          <label className="field">
            <span>Least requests</span>
            <input type="number" min={0} value={minRequests} onChange={(e) => setMinRequests(Number(e.target.value))} required />
          </label>
          <label className="field field-wide">
            <span>Guards</span>
            <input value={guards} onChange={(e) => setGuards(e.target.value)} required aria-describedby="guards-hint" />
            <span id="guards-hint" className="field-hint">
              error_rate&lt;0.01, p99_ms&lt;50 or p99_ms&lt;1.5x (the champion&apos;s), drift&lt;0.1, disagreement&lt;0.05 (shadow step)
            </span>
          </label>
          <div>
            <button type="submit" className="button button-primary" disabled={challenger === ''}>
              Start rollout
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
