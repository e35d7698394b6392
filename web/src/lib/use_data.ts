// Loads data for a page and tracks loading/error, dropping stale answers
// when the inputs change before the previous request finished.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface DataState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useData<T>(load: () => Promise<T>, deps: unknown[]): DataState<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const my = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => { if (my === seq.current) setState({ data, loading: false }); },
      (error) => { if (my === seq.current) setState({ error, loading: false }); },
    );
  }, deps);
  useEffect(run, [run]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}
