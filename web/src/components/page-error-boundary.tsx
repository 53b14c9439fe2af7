import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorState } from './error-state.js';

/** Props of {@link PageErrorBoundary}. */
export interface PageErrorBoundaryProps {
  readonly children: ReactNode;
}

/**
 * Catches what a page throws while drawing (a field of an unexpected shape from an older server
 * or a bad upload), so one bad value shows an error in the page, with the message, instead of
 * blanking the whole dashboard. React offers this only as a class component.
 */
export class PageErrorBoundary extends Component<PageErrorBoundaryProps, { readonly error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('the page failed to draw', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <main className="page">
        <h1 id="page-title" tabIndex={-1}>
          This page could not be shown
        </h1>
        <ErrorState error={error} title="Something on this page has an unexpected shape" onRetry={() => this.setState({ error: undefined })} />
      </main>
    );
  }
}
