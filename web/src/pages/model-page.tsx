import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { VersionDetail } from '../api/api-types.js';
import { afterModelChange, every, queries } from '../api/queries.js';
import { ConfirmDialog, type PendingAction } from '../components/confirm-dialog.js';
import { ResourceView } from '../components/resource-view.js';
import { formatTime } from '../lib/format.js';
import { href } from '../router/use-hash-route.js';
import { AliasesPanel } from './aliases-panel.js';
import { DeploymentPanel } from './deployment-panel.js';
import { RetrainPanel } from './retrain-panel.js';
import { RolloutPanel } from './rollout-panel.js';
import { ServingStatus } from './serving-status.js';
import { TrafficPanel } from './traffic-panel.js';
import { VersionSpec } from './version-spec.js';
import { VersionsTable } from './versions-table.js';

/** Manifests loaded for the versions table: the newest this many (each is one request). */
const DETAILED_VERSIONS = 12;

/** One model: live traffic, aliases with promote and roll back, versions, and the schema. */
export function ModelPage({ name }: { readonly name: string }) {
  const client = useQueryClient();
  const detail = useQuery({ ...queries.model(name), refetchInterval: every(15_000) });
  const versionNumbers = (detail.data?.versions ?? []).map((v) => v.version).sort((a, b) => b - a);
  const wanted = versionNumbers.slice(0, DETAILED_VERSIONS);
  // One cached query per version (the Playground reads the same ones); those that failed are left out.
  const details = useQueries({
    queries: wanted.map((v) => queries.version(name, v)),
    combine: (results) => new Map(results.flatMap((r) => (r.data ? [[r.data.version, r.data] as const] : []))),
  });
  const aliasKey = Object.entries(detail.data?.model.aliases ?? {}).join(';');
  const rollback = useQuery({ ...queries.rollbackPlans(name, aliasKey), enabled: detail.data !== undefined });
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [chosen, setChosen] = useState<number | undefined>(undefined);

  const model = detail.data?.model;
  const shown = chosen ?? model?.aliases.production ?? model?.latestVersion ?? undefined;
  const shownDetail: VersionDetail | undefined = shown === undefined ? undefined : details.get(shown);

  return (
    <main className="page" aria-labelledby="page-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href="#/models">Models</a> <span aria-hidden="true">/</span>
      </nav>
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>{name}</h1>
        <div className="page-actions">
          <a className="button" href={href('monitoring', name)}>
            Monitoring
          </a>
          <a className="button button-primary" href={href('playground', name)}>
            Playground
          </a>
        </div>
      </div>
      <ResourceView resource={detail} what={`model ${name}`}>
        {(data) => (
          <>
            <div className="summary">
              <ServingStatus model={data.model} />
              <span className="muted">
                {data.model.versions} version{data.model.versions === 1 ? '' : 's'} · created {formatTime(data.model.created)}
              </span>
            </div>
            <TrafficPanel model={name} />
            <DeploymentPanel model={data.model} versions={data.versions} confirm={setPending} />
            <RolloutPanel key={aliasKey} model={data.model} versions={data.versions} confirm={setPending} />
            <RetrainPanel model={data.model} confirm={setPending} />
            <div className="two-columns">
              <AliasesPanel key={aliasKey} model={data.model} versions={data.versions} rollback={rollback.data} confirm={setPending} />
              {shownDetail ? <VersionSpec detail={shownDetail} /> : null}
            </div>
            <VersionsTable
              model={data.model}
              versions={data.versions}
              details={details}
              selected={shown}
              onSelect={setChosen}
              confirm={setPending}
            />
          </>
        )}
      </ResourceView>
      <ConfirmDialog
        action={pending}
        onClose={(done) => {
          setPending(null);
          if (done) void afterModelChange(client, name);
        }}
      />
    </main>
  );
}
