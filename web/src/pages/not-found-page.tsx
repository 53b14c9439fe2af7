/** An address the dashboard does not know. */
export function NotFoundPage({ path }: { readonly path: string }) {
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Page not found</h1>
      <p>
        The dashboard has no page at <code>{path}</code>. <a href="#/models">See every model</a>.
      </p>
    </main>
  );
}
