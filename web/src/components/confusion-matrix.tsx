/** A confusion matrix as trainers report it. */
export interface ConfusionMatrixData {
  readonly labels: readonly string[];
  /** counts[true][predicted]. */
  readonly counts: readonly (readonly number[])[];
}

/** True `value` is a confusion matrix. */
export function isConfusionMatrix(value: unknown): value is ConfusionMatrixData {
  const v = value as ConfusionMatrixData | null;
  return !!v && Array.isArray(v.labels) && Array.isArray(v.counts);
}

/** Rows are the true classes, columns the predicted ones; the diagonal (correct) is shaded. */
export function ConfusionMatrix({ matrix, rows = 'the validation rows' }: { readonly matrix: ConfusionMatrixData; readonly rows?: string }) {
  return (
    <div className="table-scroll">
      <table className="table confusion">
        <caption>Confusion matrix on {rows} (rows: true class, columns: predicted)</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">True class</span>
            </th>
            {matrix.labels.map((label) => (
              <th key={label} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.labels.map((label, i) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {matrix.labels.map((other, j) => (
                <td key={other} className={i === j ? 'diagonal num' : 'num'}>
                  {matrix.counts[i]?.[j] ?? 0}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
