import { useCallback, useEffect, useMemo, useState } from "react";
import { createTocsinClient } from "@tocsin/client";
import { Shell } from "./Shell.tsx";
import { type ConsoleContext, Ctx } from "./context.ts";
import { type Route, parseRoute, pathOf } from "./lib/routes.ts";
import { type Session, clearSession, loadSession, readPortalFragment, saveSession } from "./lib/session.ts";
import { SignIn } from "./pages/SignIn.tsx";

interface Location {
  route: Route;
  search: string;
}

const here = (): Location => ({ route: parseRoute(window.location.pathname), search: window.location.search.replace(/^\?/, "") });

/** A portal link's token, taken from the fragment before anything else runs and removed from the address bar. */
function takePortalToken(): { token: string; tenant: string | null } | null {
  const portal = readPortalFragment(window.location.hash);
  if (portal) window.history.replaceState(null, "", window.location.pathname + window.location.search);
  return portal;
}
const initialPortal = takePortalToken();

export function App() {
  const [session, setSession] = useState<Session | null>(() => (initialPortal ? null : loadSession(window.sessionStorage)));
  const [location, setLocation] = useState<Location>(here);
  const [notice, setNotice] = useState<string | null>(null);
  const [portal, setPortal] = useState(initialPortal);

  useEffect(() => {
    const onPop = () => setLocation(here());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const navigate = useCallback((to: Route | string, opts: { replace?: boolean } = {}) => {
    const path = typeof to === "string" ? to : pathOf(to);
    if (path === window.location.pathname + window.location.search) return;
    if (opts.replace) window.history.replaceState(null, "", path);
    else window.history.pushState(null, "", path);
    setLocation(here());
    window.scrollTo(0, 0);
  }, []);

  const signOut = useCallback(
    (message?: string) => {
      clearSession(window.sessionStorage);
      setSession(null);
      setPortal(null);
      setNotice(message ?? null);
      navigate("/", { replace: true });
    },
    [navigate],
  );

  const signIn = useCallback(
    (s: Session) => {
      saveSession(window.sessionStorage, s);
      setSession(s);
      setNotice(null);
      const { route } = here();
      const landing = s.tenantId ? ({ page: "endpoints", tenant: s.tenantId } as const) : ({ page: "tenants" } as const);
      if (route.page === "home" || route.page === "portal" || (s.tenantId && "tenant" in route && route.tenant !== s.tenantId))
        navigate(landing, { replace: true });
    },
    [navigate],
  );

  const client = useMemo(() => {
    if (!session) return null;
    const c = createTocsinClient({ baseUrl: window.location.origin, apiKey: session.key });
    c.use({
      onResponse({ response }) {
        if (response.status === 401) signOut("Your key or portal link is no longer valid (expired or revoked). Sign in again, or ask for a new link.");
        return undefined;
      },
    });
    return c;
  }, [session, signOut]);

  if (!session || !client) return <SignIn portal={portal} notice={notice} onSignedIn={signIn} />;

  const ctx: ConsoleContext = { session, client, route: location.route, search: location.search, navigate, signOut };
  return (
    <Ctx.Provider value={ctx}>
      <Shell />
    </Ctx.Provider>
  );
}
