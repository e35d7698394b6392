// Loading, empty and error states. Every one says what happened and what to
// do about it, instead of a blank panel.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../lib/api';

export function Loading({ what = 'data' }: { what?: string }) {
  return <div class="state loading" role="status"><span class="spinner" /> Loading {what}…</div>;
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty" data-testid="empty">
      <div class="state-title">{title}</div>
      {children && <div class="state-body">{children}</div>}
    </div>
  );
}

// Explains an error from the API. `feature` names what was being loaded.
export function ErrorView({ error, feature, retry }: { error: unknown; feature: string; retry?: () => void }) {
  if (error instanceof ApiError && error.notFound) {
    return (
      <Empty title={`${feature} is not available on this server`}>
        The server answered 404 for this endpoint: this burnrate build does not provide it yet,
        or the item does not exist.
      </Empty>
    );
  }
  if (error instanceof ApiError && error.denied) {
    return (
      <div class="state denied" data-testid="denied">
        <div class="state-title">Not allowed</div>
        <div class="state-body">
          Your API key may not see {feature.toLowerCase()} ({error.message}). Ask an administrator for
          an admin key, or log in with one.
        </div>
      </div>
    );
  }
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div class="state error" role="alert">
      <div class="state-title">Could not load {feature.toLowerCase()}</div>
      <div class="state-body">{msg}</div>
      {retry && <button class="btn" onClick={retry}>Try again</button>}
    </div>
  );
}

// Renders children with data, or the right state while loading / on error.
export function Async<T>({ state, feature, children, isEmpty, empty }: {
  state: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  feature: string;
  isEmpty?: (d: T) => boolean;
  empty?: ComponentChildren;
  children: (d: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorView error={state.error} feature={feature} retry={state.reload} />;
  if (state.data === undefined) return <Loading what={feature.toLowerCase()} />;
  if (isEmpty && isEmpty(state.data)) return <>{empty ?? <Empty title={`No ${feature.toLowerCase()} yet`} />}</>;
  return <>{children(state.data)}</>;
}
