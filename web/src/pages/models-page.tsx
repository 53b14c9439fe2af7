import { useQuery } from '@tanstack/react-query';
import { every, queries } from '../api/queries.js';
import { EmptyState } from '../components/empty-state.js';
import { ResourceView } from '../components/resource-view.js';
import { ModelRow } from './model-row.js';

/** Every model at a glance: aliases, latest version, request rate and drift, in one request. */
export function ModelsPage() {
  const models = useQuery({ ...queries.models(), refetchInterval: every(10_000) });
  return (
    <main className="page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1}>Models</h1>
        <a className="button button-primary" href="#/train">
          Train a model
        </a>
      </div>
      <ResourceView
        resource={models}
        what="the models"
        isEmpty={(data) => data.models.length === 0}
        empty={
          <EmptyState title="No models yet">
            <p>
              <a href="#/train">Train one from a CSV file</a> in the browser, or register an ONNX model: <code>berth register model.onnx --alias production</code>.
            </p>
          </EmptyState>
        }
      >
        {(data) => (
          <div className="panel table-scroll">
            <table className="table table-cards">
              <caption className="visually-hidden">Models, their aliases, latest version, request rate and drift</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Latest</th>
                  <th scope="col">Requests (5 min)</th>
                  <th scope="col">Drift (24 h)</th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...data.models]
                  .sort((a, b) => a.name.localeCompare(b.name))
                  .map((m) => (
                    <ModelRow key={m.name} model={m} />
                  ))}
              </tbody>
            </table>
          </div>
        )}
      </ResourceView>
    </main>
  );
}
