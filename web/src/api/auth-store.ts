/**
 * The admin token and whether the server asked for one. The token lives in sessionStorage: it
 * survives reloads of the tab but not closing it, and other tabs and sites never see it. Views
 * subscribe through React's useSyncExternalStore; `generation` changes whenever a new token is
 * saved, so every view reloads its data with it.
 */

const STORAGE_KEY = 'berth.adminToken';

/** What views read. */
export interface AuthState {
  readonly token: string | null;
  /** True after the server answered 401 BERTH_AUTH_REQUIRED: the token dialog shows. */
  readonly needed: boolean;
  /** The server's message for the last refusal (a wrong token, say). */
  readonly message: string | null;
  readonly generation: number;
}

let state: AuthState = { token: readStored(), needed: false, message: null, generation: 0 };
const listeners = new Set<() => void>();

function readStored(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (privacy modes); the token then lasts as long as the page.
    return null;
  }
}

function update(next: Partial<AuthState>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

/** The token to send, or null. */
export function currentToken(): string | null {
  return state.token;
}

/** Called by the API client on 401: shows the dialog (once, however many requests failed). */
export function requireToken(message: string): void {
  if (!state.needed || state.message !== message) update({ needed: true, message });
}

/** Saves a token for this tab and makes every view reload. */
export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // See readStored.
  }
  update({ token, needed: false, message: null, generation: state.generation + 1 });
}

/** Forgets the token (sign out). */
export function clearToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See readStored.
  }
  update({ token: null, generation: state.generation + 1 });
}

/** For useSyncExternalStore. */
export function subscribeAuth(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** For useSyncExternalStore. */
export function authSnapshot(): AuthState {
  return state;
}
