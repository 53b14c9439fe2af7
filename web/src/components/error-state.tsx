import { ApiError } from '../api/api-client.js';
import { requireToken } from '../api/auth-store.js';

/** Props of {@link ErrorState}. */
export interface ErrorStateProps {
  readonly error: Error;
  /** What failed, in a few words: "Could not load the models". */
  readonly title?: string;
  readonly onRetry?: () => void;
}

/**
 * An error with the server's own message (which says what to do next) and its code. A route the
 * server lacks is told apart, since it means an older server, not a failure.
 */
export function ErrorState({ error, title = 'Something went wrong', onRetry }: ErrorStateProps) {
  const api = error instanceof ApiError ? error : undefined;
  // Not a failure: the token dialog is already asking; this says why the section is empty.
  if (api?.status === 401) {
    return (
      <div className="state state-unavailable" role="note">
        <p className="state-title">The admin token is needed</p>
        <p className="state-body">{api.message}</p>
        <button type="button" className="button" onClick={() => requireToken(api.message)}>
          Enter the token
        </button>
      </div>
    );
  }
  if (api?.missingRoute) {
    return (
      <div className="state state-unavailable" role="note">
        <p className="state-title">Not available on this server</p>
        <p className="state-body">This Berth server does not offer this yet. Update the server to see it here.</p>
      </div>
    );
  }
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p className="state-body">{error.message}</p>
      {api && api.code !== 'NETWORK' ? <p className="state-code">{api.code}</p> : null}
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
