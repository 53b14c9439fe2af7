import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.js';
import { navigate } from '../router/use-hash-route.js';
import { EmptyState } from './empty-state.js';
import { ResourceView } from './resource-view.js';

/** Props of {@link ModelPicker}. */
export interface ModelPickerProps {
  /** The section the picked model opens in: `monitoring` or `playground`. */
  readonly section: string;
  readonly current?: string;
}

/** A select of every model that switches the section to the model chosen. */
export function ModelPicker({ section, current }: ModelPickerProps) {
  const models = useQuery(queries.modelNames());
  return (
    <ResourceView
      resource={models}
      what="the models"
      isEmpty={(names) => names.length === 0}
      empty={
        <EmptyState title="No models yet">
          <a href="#/train">Train one from a CSV file</a> or register an ONNX model with <code>berth register</code>.
        </EmptyState>
      }
    >
      {(names) => (
        <label className="field field-inline">
          <span>Model</span>
          <select value={current ?? ''} onChange={(e) => navigate(`#/${section}/${encodeURIComponent(e.target.value)}`)}>
            {current === undefined ? <option value="">Choose a model…</option> : null}
            {[...names].sort().map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
    </ResourceView>
  );
}
