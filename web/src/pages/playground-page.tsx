import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../api/api-client.js';
import { currentToken } from '../api/auth-store.js';
import type { OipInferResponse, OipTensor, PredictResponse } from '../api/api-types.js';
import { berthApi } from '../api/berth-api.js';
import { queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ErrorState } from '../components/error-state.js';
import { LoadingState } from '../components/loading-state.js';
import { ModelPicker } from '../components/model-picker.js';
import { parseModelRef, resolveVersion } from '../lib/model-ref.js';
import { href } from '../router/use-hash-route.js';
import { InferResult } from './infer-result.js';
import { PredictionResult } from './prediction-result.js';
import { SchemaForm } from './schema-form.js';
import { TensorForm } from './tensor-form.js';
import { curlCommand } from '../lib/curl-command.js';

type Outcome =
  | { readonly kind: 'predict'; readonly request: unknown; readonly url: string; readonly response: PredictResponse }
  | { readonly kind: 'infer'; readonly request: unknown; readonly url: string; readonly response: OipInferResponse };

/**
 * Try a model from the browser: a form generated from its schema (named features, answered by
 * `/api/models/{ref}/predict`) or, for plain ONNX models, from its tensor inputs (answered by
 * `/v2/models/{name}/versions/{v}/infer`).
 */
export function PlaygroundPage({ modelRef }: { readonly modelRef: string | undefined }) {
  const ref = modelRef ? parseModelRef(modelRef) : undefined;
  return (
    <main className="page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>Playground{modelRef ? <span className="muted"> · {modelRef}</span> : null}</h1>
        <ModelPicker section="playground" current={ref?.name} />
      </div>
      {modelRef && ref ? (
        <Playground key={modelRef} modelRef={modelRef} name={ref.name} />
      ) : (
        <EmptyState title="Choose a model">Pick a model above; the form is built from its schema.</EmptyState>
      )}
    </main>
  );
}

/** The request as a curl command; with an admin token set, its header names the variable, never the token. */
function curlOf(url: string, body: unknown): string {
  return curlCommand(window.location.origin, url, body, currentToken() && url.startsWith('/api/') ? 'BERTH_ADMIN_TOKEN' : undefined);
}

function Playground({ modelRef, name }: { readonly modelRef: string; readonly name: string }) {
  const detail = useQuery(queries.model(name));
  const ref = parseModelRef(modelRef);
  const version = detail.data && ref ? resolveVersion(ref, detail.data.model) : undefined;
  const manifest = useQuery({ ...queries.version(name, version ?? 0), enabled: version !== undefined });
  // A server without the registry API still describes its models over the inference protocol.
  const registryMissing = detail.error instanceof ApiError && detail.error.missingRoute;
  const oip = useQuery({ ...queries.oipMetadata(name), enabled: registryMissing });
  const call = useMutation({ mutationFn: (run: () => Promise<Outcome>) => run() });
  // Fields the browser refused on the last submit: the previous result no longer answers the form.
  const [refused, setRefused] = useState<readonly string[] | null>(null);
  const busy = call.isPending;
  const outcome = refused ? null : (call.data ?? null);
  const failure = refused ? null : call.error;
  const run = (request: () => Promise<Outcome>): void => {
    setRefused(null);
    call.mutate(request);
  };
  const refuse = (fields: readonly string[]): void => {
    call.reset();
    setRefused(fields);
  };

  const predict = (record: Record<string, unknown>): void =>
    run(async () => {
      const request = { records: [record] };
      return { kind: 'predict', request, url: `/api/models/${modelRef}/predict`, response: await berthApi.predict(modelRef, request.records) };
    });
  const infer = (inputs: OipTensor[]): void =>
    run(async () => {
      const path = `/v2/models/${name}${version === undefined ? '' : `/versions/${version}`}/infer`;
      return { kind: 'infer', request: { inputs }, url: path, response: await berthApi.infer(name, version, inputs) };
    });

  let form;
  if (manifest.data) {
    const m = manifest.data.manifest;
    form = m.schema ? (
      <SchemaForm schema={m.schema} profile={m.profile} busy={busy} onSubmit={predict} onInvalid={refuse} />
    ) : (
      <TensorForm inputs={m.signature.inputs} busy={busy} onSubmit={infer} />
    );
  } else if (oip.data) form = <TensorForm inputs={oip.data.inputs} busy={busy} onSubmit={infer} />;
  else if (registryMissing ? oip.error : (detail.error ?? manifest.error)) {
    const error = (registryMissing ? oip.error : (detail.error ?? manifest.error))!;
    form = <ErrorState error={error} title={`Could not load ${modelRef}`} onRetry={() => void (registryMissing ? oip : detail.error ? detail : manifest).refetch()} />;
  } else if (detail.data && version === undefined) form = <EmptyState title={`${modelRef} points at no version`}>Set the alias on the model's page.</EmptyState>;
  else form = <LoadingState label={`Loading ${modelRef}…`} />;

  return (
    <div className="two-columns playground">
      <section className="panel" aria-labelledby="input-title">
        <h2 id="input-title">
          Input{' '}
          {version !== undefined ? (
            <span className="muted">
              · <a href={href('models', name)}>{name}</a> v{version}
            </span>
          ) : null}
        </h2>
        {form}
      </section>
      <section className="panel" aria-labelledby="result-title">
        <h2 id="result-title">Result</h2>
        {failure ? <ErrorState error={failure} title="The prediction failed" /> : null}
        {outcome?.kind === 'predict' ? <PredictionResult response={outcome.response} /> : null}
        {outcome?.kind === 'infer' ? <InferResult response={outcome.response} /> : null}
        {refused ? (
          <EmptyState title="Fill in the required fields">
            {refused.length ? `${[...new Set(refused)].join(', ')} ${new Set(refused).size === 1 ? 'is' : 'are'} empty or invalid; ` : ''}the form was not sent, so there is no
            result for it.
          </EmptyState>
        ) : null}
        {!refused && !failure && !outcome ? <EmptyState title="No prediction yet">Fill in the form and press {manifest.data?.manifest.schema ? 'Predict' : 'Infer'}.</EmptyState> : null}
        {outcome ? (
          <details className="disclosure">
            <summary>The request, to send from code</summary>
            <pre className="code">{curlOf(outcome.url, outcome.request)}</pre>
          </details>
        ) : null}
      </section>
    </div>
  );
}
