import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState } from './error-state.js';
import { LoadingState } from './loading-state.js';

/** Props of {@link ResourceView}. */
export interface ResourceViewProps<T> {
  /** A query's state (TanStack Query's `useQuery`). */
  readonly resource: Pick<UseQueryResult<T, Error>, 'data' | 'error' | 'isLoading' | 'refetch'>;
  /** Shown while loading and in the error title: "the models". */
  readonly what: string;
  /** Shown instead of the content when it is empty. */
  readonly empty?: ReactNode;
  readonly isEmpty?: (data: T) => boolean;
  readonly children: (data: T) => ReactNode;
}

/**
 * The loading, error, empty and loaded states of one API resource, always the same way. Data that
 * loaded once stays on screen when a refresh fails; the error then shows above it.
 */
export function ResourceView<T>({ resource, what, empty, isEmpty, children }: ResourceViewProps<T>) {
  const { data, error, isLoading } = resource;
  const retry = (): void => void resource.refetch();
  if (data === undefined) {
    if (error) return <ErrorState error={error} title={`Could not load ${what}`} onRetry={retry} />;
    if (isLoading) return <LoadingState label={`Loading ${what}…`} />;
    return null;
  }
  return (
    <>
      {error ? <ErrorState error={error} title={`Could not refresh ${what}`} onRetry={retry} /> : null}
      {empty !== undefined && isEmpty?.(data) ? empty : children(data)}
    </>
  );
}
