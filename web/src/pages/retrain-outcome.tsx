import type { TrainingJob } from '../api/api-types.js';
import { formatNumber, metricLabel } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';

/** One row of a retraining's evaluation table, as the server writes it. */
interface EvaluationRow {
  readonly rows: 'recent' | 'original';
  readonly count: number;
  readonly challenger: Readonly<Record<string, number | null>>;
  readonly champion: Readonly<Record<string, number | null>>;
  /** On the original rows: which rows they are (the first champion's of the chain) and why neither model has seen them. */
  readonly rowsHow?: string;
  /** A champion refitted on every row has seen the original rows: training's figures, the verdict's baseline. */
  readonly championRecorded?: Readonly<Record<string, number | null>>;
  readonly championRecordedHow?: string;
}

const DECISION: Record<string, string> = {
  candidate: 'Not better: registered as a candidate, nothing moved',
  registered: 'Better: registered, waiting for a person',
  rollout: 'Better: a rollout started',
  promoted: 'Better: now production',
};

/**
 * A finished retraining job: the challenger, its evaluation against the champion on the same
 * rows (recent held-out labelled rows, original validation rows), and what was done with it.
 */
export function RetrainOutcome({ job }: { readonly job: TrainingJob }) {
  const outcome = job.result?.retrain;
  const spec = job.retrain;
  if (!outcome || !spec) return null;
  const evaluation = outcome.evaluation as { metric?: string; table?: EvaluationRow[] };
  const table = evaluation.table ?? [];
  const metrics = Object.keys(table[0]?.challenger ?? {});
  return (
    <section className="panel" aria-labelledby="retrain-outcome-title">
      <h2 id="retrain-outcome-title">Challenger against champion</h2>
      <p>
        <a href={href('models', spec.model)}>
          {spec.model} v{outcome.challenger}
        </a>{' '}
        was trained from v{outcome.parent} (trigger: {spec.trigger.kind.replace('_', ' ')}) on its original data and the labelled traffic of {spec.since}.{' '}
        <b>{DECISION[outcome.decision] ?? outcome.decision}.</b>
      </p>
      <p className="muted">{outcome.reason}</p>
      <div className="table-scroll">
        <table className="table">
          <caption>Both models on the same rows ({evaluation.metric ? metricLabel(evaluation.metric) : 'the main metric'} decides)</caption>
          <thead>
            <tr>
              <th scope="col">Rows</th>
              {metrics.map((m) => (
                <th key={m} scope="col" className="num">
                  {metricLabel(m)}: challenger / champion
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.map((row) => (
              <tr key={row.rows}>
                <th scope="row">
                  {row.rows === 'recent' ? 'Recent held-out' : 'Original validation'} ({formatNumber(row.count)})
                </th>
                {metrics.map((m) => (
                  <td key={m} className="num">
                    {formatNumber(row.challenger[m])} / {formatNumber(row.champion[m])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {table.map((row) =>
        row.rowsHow ? (
          <p key={`${row.rows}-how`} className="muted">
            The {row.rows} rows: {row.rowsHow}.
          </p>
        ) : null,
      )}
      {table.map((row) =>
        row.championRecorded ? (
          <p key={row.rows} className="muted">
            Champion on the {row.rows} rows {row.championRecordedHow ?? 'as training recorded it'}:{' '}
            {metrics.map((m) => `${metricLabel(m)} ${formatNumber(row.championRecorded?.[m])}`).join(', ')} (the verdict's baseline).
          </p>
        ) : null,
      )}
    </section>
  );
}
