/** A quiet placeholder while data loads; announced to screen readers. */
export function LoadingState({ label = 'Loading…' }: { readonly label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}
