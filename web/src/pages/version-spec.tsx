import type { VersionDetail } from '../api/api-types.js';
import { SchemaTable } from '../components/schema-table.js';
import { SignatureTable } from '../components/signature-table.js';
import { formatNumber } from '../lib/format.js';

/** The parts of lineage people ask about first. */
function lineageFacts(lineage: Readonly<Record<string, unknown>> | undefined): [string, string][] {
  if (!lineage) return [];
  const facts: [string, string][] = [];
  const data = lineage.data as { source?: unknown; rows?: unknown } | undefined;
  if (typeof data?.source === 'string') facts.push(['Training data', data.source]);
  if (typeof data?.rows === 'number') facts.push(['Rows', formatNumber(data.rows)]);
  if (typeof lineage.parent === 'number') {
    const trigger = (lineage.trigger as { kind?: unknown } | undefined)?.kind;
    facts.push(['Retrained from', `v${lineage.parent}${typeof trigger === 'string' ? ` (${trigger.replace('_', ' ')})` : ''}`]);
  }
  for (const key of ['target', 'task', 'algorithm', 'trainer'] as const) {
    if (typeof lineage[key] === 'string') facts.push([key[0]!.toUpperCase() + key.slice(1), lineage[key] as string]);
  }
  return facts;
}

/** A version's schema (or, for plain ONNX models, its signature), lineage and tags. */
export function VersionSpec({ detail }: { readonly detail: VersionDetail }) {
  const { manifest } = detail;
  const facts = lineageFacts(manifest.lineage);
  const tags = Object.entries(detail.tags ?? {});
  return (
    <section className="panel" aria-labelledby="spec-title">
      <h2 id="spec-title">
        {manifest.schema ? 'Schema' : 'Signature'} <span className="muted">of v{detail.version}</span>
      </h2>
      {manifest.schema ? (
        <>
          <SchemaTable schema={manifest.schema} />
          <details className="disclosure">
            <summary>Tensor signature</summary>
            <SignatureTable inputs={manifest.signature.inputs} outputs={manifest.signature.outputs} />
          </details>
        </>
      ) : (
        <SignatureTable inputs={manifest.signature.inputs} outputs={manifest.signature.outputs} />
      )}
      {facts.length > 0 || tags.length > 0 ? (
        <dl className="facts">
          {facts.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
          {tags.map(([k, v]) => (
            <div key={`tag:${k}`}>
              <dt>tag {k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </section>
  );
}
