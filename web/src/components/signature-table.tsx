import type { TensorSpec } from '../api/api-types.js';

function shape(spec: TensorSpec): string {
  return spec.shape ? `[${spec.shape.map((d) => (d < 0 ? '?' : d)).join(', ')}]` : 'any';
}

/** The model's tensor inputs and outputs: name, datatype and shape (`?` for dynamic). */
export function SignatureTable({ inputs, outputs }: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] }) {
  const rows = [...inputs.map((t) => ({ ...t, role: 'input' })), ...outputs.map((t) => ({ ...t, role: 'output' }))];
  return (
    <div className="table-scroll">
      <table className="table">
        <caption className="visually-hidden">Signature: tensor inputs and outputs</caption>
        <thead>
          <tr>
            <th scope="col">Tensor</th>
            <th scope="col">Role</th>
            <th scope="col">Datatype</th>
            <th scope="col">Shape</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={`${t.role}:${t.name}`}>
              <th scope="row">
                <code>{t.name}</code>
              </th>
              <td>{t.role}</td>
              <td>{t.datatype}</td>
              <td>
                <code>{shape(t)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
