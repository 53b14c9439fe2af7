import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { authSnapshot, saveToken, subscribeAuth } from '../api/auth-store.js';
import { FormError } from './form-error.js';

/**
 * Asks for the admin token when the server answers 401 BERTH_AUTH_REQUIRED. The token is kept
 * for this browser tab only (sessionStorage) and sent as a Bearer header from then on.
 */
export function TokenDialog() {
  const auth = useSyncExternalStore(subscribeAuth, authSnapshot);
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState('');

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (auth.needed && !dialog.open) dialog.showModal();
    else if (!auth.needed && dialog.open) dialog.close();
  }, [auth.needed]);

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="token-title" onCancel={(event) => event.preventDefault()}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) {
            saveToken(value.trim());
            setValue('');
          }
        }}
      >
        <h2 id="token-title">Admin token needed</h2>
        <div className="dialog-body">
          <p>
            This Berth server requires its admin token (<code>BERTH_ADMIN_TOKEN</code>) or an API key (<code>berth keys create</code>). It is kept in this browser tab only and sent
            with every request.
          </p>
          <FormError message={auth.token && auth.message} />
          <label className="field">
            <span>Token</span>
            <input type="password" autoComplete="current-password" value={value} onChange={(e) => setValue(e.target.value)} required autoFocus />
          </label>
        </div>
        <div className="dialog-actions">
          <button type="submit" className="button button-primary">
            Continue
          </button>
        </div>
      </form>
    </dialog>
  );
}
