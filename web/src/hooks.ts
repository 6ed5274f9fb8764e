import { useCallback, useEffect, useRef, useState } from "react";
import { TocsinApiError } from "@tocsin/client";
import { useConsole } from "./context.ts";
import { withSearch } from "./lib/routes.ts";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/** A readable message for anything a call threw: the problem's detail, or the network error. */
export function messageOf(e: unknown): string {
  if (e instanceof TocsinApiError) return e.problem?.detail ? `${e.problem.detail} (${e.status})` : e.message;
  if (e instanceof Error) return e.name === "TypeError" ? `The server cannot be reached: ${e.message}` : e.message;
  return String(e);
}

/**
 * Runs `load` on mount and whenever `deps` change; with `pollMs`, again every `pollMs` while the
 * page is visible. Answers of a superseded run are dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsRef = useRef(deps);

  useEffect(() => {
    const mine = ++run.current;
    // New inputs (another tenant, another filter): drop the old answer rather than show it as theirs.
    const prev = depsRef.current;
    depsRef.current = deps;
    if (prev.length !== deps.length || deps.some((d, i) => !Object.is(d, prev[i]))) setData(undefined);
    setLoading(true);
    loadRef.current().then(
      (v) => {
        if (run.current !== mine) return;
        setData(v);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (run.current !== mine) return;
        setError(messageOf(e));
        setLoading(false);
      },
    );
    // The caller's deps decide when to load again, as they would for useEffect itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  useEffect(() => {
    if (!pollMs) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") setTick((t) => t + 1);
    }, pollMs);
    return () => window.clearInterval(id);
  }, [pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Runs an action, tracking whether it is in flight and what it failed with. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = useCallback(async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(messageOf(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, act };
}

/**
 * The page's state kept in the address's query string (filters, a chart's range), so a link
 * shares it and Back returns to the previous one. `set` adds a history entry (or replaces the
 * current one) and leaves the scroll position alone.
 */
export function useSearchState(): [string, (changes: Record<string, string | null>, opts?: { replace?: boolean }) => void] {
  const { search } = useConsole();
  const set = useCallback((changes: Record<string, string | null>, opts: { replace?: boolean } = {}) => {
    const current = window.location.search.replace(/^\?/, "");
    const next = withSearch(current, changes);
    if (next === current) return;
    const url = window.location.pathname + (next ? `?${next}` : "");
    if (opts.replace) window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
    // The console's router follows popstate (App.tsx); this is the same change, made here.
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, []);
  return [search, set];
}
