import { useEffect } from "react";
import { Link } from "./components/ui.tsx";
import { useConsole } from "./context.ts";
import { type Route, pathOf, tenantOf } from "./lib/routes.ts";
import { can, lastTenant, rememberTenant } from "./lib/session.ts";
import { DeliveriesPage } from "./pages/DeliveriesPage.tsx";
import { DeliveryPage } from "./pages/DeliveryPage.tsx";
import { EndpointFormPage } from "./pages/EndpointFormPage.tsx";
import { EndpointPage } from "./pages/EndpointPage.tsx";
import { EndpointsPage } from "./pages/EndpointsPage.tsx";
import { EventTypesPage } from "./pages/EventTypesPage.tsx";
import { EventsPage } from "./pages/EventsPage.tsx";
import { OverviewPage } from "./pages/OverviewPage.tsx";
import { AlertsPage } from "./pages/AlertsPage.tsx";
import { SilenceFormPage } from "./pages/SilenceFormPage.tsx";
import { SilencePage } from "./pages/SilencePage.tsx";
import { SilencesPage } from "./pages/SilencesPage.tsx";
import { TenantsPage } from "./pages/TenantsPage.tsx";

/** The signed-in console: header, navigation, and the current page. */
export function Shell() {
  const { session, route, navigate, signOut } = useConsole();
  const routeTenant = tenantOf(route);
  useEffect(() => {
    if (routeTenant && session.kind === "admin") rememberTenant(window.sessionStorage, routeTenant);
  }, [routeTenant, session.kind]);
  const tenant = session.tenantId ?? routeTenant ?? lastTenant(window.sessionStorage);
  const landing = pathOf(session.tenantId ? { page: "endpoints", tenant: session.tenantId } : { page: "tenants" });

  useEffect(() => {
    if (route.page === "home" || route.page === "portal") navigate(landing, { replace: true });
  }, [route.page, navigate, landing]);

  // A customer's portal never shows the event-posting page, whatever its scopes say.
  const postsEvents = session.kind !== "portal" && can(session, "events:write");
  const nav: { to: Route; label: string; current: boolean }[] = [];
  if (session.kind === "admin") nav.push({ to: { page: "tenants" }, label: "Tenants", current: route.page === "tenants" });
  if (tenant) {
    nav.push({
      to: { page: "endpoints", tenant },
      label: "Integrations",
      current: ["endpoints", "endpoint", "endpoint-new", "endpoint-edit"].includes(route.page),
    });
    nav.push({ to: { page: "deliveries", tenant }, label: "Deliveries", current: route.page === "deliveries" || route.page === "delivery" });
    nav.push({ to: { page: "alerts", tenant }, label: "Alerts", current: route.page === "alerts" });
    nav.push({ to: { page: "silences", tenant }, label: "Silences", current: ["silences", "silence", "silence-new"].includes(route.page) });
    nav.push({ to: { page: "overview", tenant }, label: "Overview", current: route.page === "overview" });
    if (postsEvents) nav.push({ to: { page: "events", tenant }, label: "Events", current: route.page === "events" });
  }
  nav.push({ to: { page: "event-types" }, label: "Event types", current: route.page === "event-types" });

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◉
          </span>{" "}
          Tocsin
          {tenant ? (
            <span className="tenant-chip" title="Tenant">
              {session.kind === "admin" ? <Link to={{ page: "tenants" }}>{tenant}</Link> : tenant}
            </span>
          ) : null}
        </div>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.label}>
                <Link to={n.to} aria-current={n.current ? "page" : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="muted">
            {session.kind === "admin" ? "Operator" : session.kind === "portal" ? "Customer portal" : "Tenant key"}
            {session.expiresAt ? (
              <span className="small"> · until {new Date(session.expiresAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}</span>
            ) : null}
          </span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} ownTenant={session.tenantId} canPost={postsEvents} />
      </main>
    </>
  );
}

function Page({ route, ownTenant, canPost }: { route: Route; ownTenant: string | null; canPost: boolean }) {
  const t = tenantOf(route);
  if (ownTenant && t && t !== ownTenant) return <NotFound path={pathOf(route)} />;
  switch (route.page) {
    case "home":
    case "portal":
      return null;
    case "tenants":
      return ownTenant ? <NotFound path="/tenants" /> : <TenantsPage />;
    case "event-types":
      return <EventTypesPage />;
    case "endpoints":
      return <EndpointsPage tenant={route.tenant} />;
    case "endpoint-new":
      return <EndpointFormPage tenant={route.tenant} />;
    case "endpoint-edit":
      return <EndpointFormPage tenant={route.tenant} id={route.id} />;
    case "endpoint":
      return <EndpointPage tenant={route.tenant} id={route.id} tab={route.tab} />;
    case "deliveries":
      return <DeliveriesPage tenant={route.tenant} />;
    case "delivery":
      return <DeliveryPage tenant={route.tenant} id={route.id} />;
    case "overview":
      return <OverviewPage tenant={route.tenant} />;
    case "events":
      return canPost ? <EventsPage tenant={route.tenant} /> : <NotFound path={pathOf(route)} />;
    case "silences":
      return <SilencesPage tenant={route.tenant} />;
    case "silence-new":
      return <SilenceFormPage tenant={route.tenant} />;
    case "silence":
      return <SilencePage tenant={route.tenant} id={route.id} />;
    case "alerts":
      return <AlertsPage tenant={route.tenant} />;
    case "not-found":
      return <NotFound path={route.path} />;
  }
}

function NotFound({ path }: { path: string }) {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>.
      </p>
    </section>
  );
}
