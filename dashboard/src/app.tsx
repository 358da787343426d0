// The application shell: signed-out users see only the sign-in page; signed-in
// users get the sidebar, the header (who, theme, sign out) and the page for
// the current path.
import { useEffect } from "react";
import { Sidebar } from "./components/sidebar.tsx";
import { AccessPage } from "./pages/access.tsx";
import { AgentsPage } from "./pages/agents.tsx";
import { ApprovalsPage } from "./pages/approvals.tsx";
import { AuditPage } from "./pages/audit.tsx";
import { ConnectPage } from "./pages/connect.tsx";
import { ConnectionsPage } from "./pages/connections.tsx";
import { FederationPage } from "./pages/federation.tsx";
import { FindingsPage } from "./pages/findings.tsx";
import { NotFoundPage } from "./pages/not-found.tsx";
import { SearchPage } from "./pages/search.tsx";
import { ServerEditPage, ServerRegisterPage } from "./pages/server-form.tsx";
import { ServerToolsPage } from "./pages/server-tools.tsx";
import { ServersPage } from "./pages/servers.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { TokensPage } from "./pages/tokens.tsx";
import { UsagePage } from "./pages/usage.tsx";
import { VirtualServersPage } from "./pages/virtual-servers.tsx";
import { can } from "./permissions.ts";
import { useSidebarCollapsed, useTheme } from "./preferences.ts";
import { match, navigate, useLocation } from "./router.tsx";
import { useSession } from "./session.tsx";

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Page() {
  const { path } = useLocation();
  const { who } = useSession();
  if (path === "/" || path === "/sign-in") {
    // The landing page: servers for those who may list them, else search.
    return <Redirect to={can(who, "list_service") ? "/servers" : "/search"} />;
  }
  if (path === "/servers") return <ServersPage />;
  if (path === "/servers/new") return <ServerRegisterPage />;
  const edit = match("/servers/:id/edit", path);
  if (edit?.id) return <ServerEditPage id={edit.id} />;
  const tools = match("/servers/:id/tools", path);
  if (tools?.id) return <ServerToolsPage id={tools.id} />;
  if (path === "/agents") return <AgentsPage />;
  if (path === "/search") return <SearchPage />;
  if (path === "/access") return <AccessPage />;
  if (path === "/tokens") return <TokensPage />;
  if (path === "/connections") return <ConnectionsPage />;
  if (path === "/connect") return <ConnectPage />;
  if (path === "/usage") return <UsagePage />;
  if (path === "/federation") return <FederationPage />;
  if (path === "/virtual-servers") return <VirtualServersPage />;
  if (path === "/audit") return <AuditPage />;
  if (path === "/findings") return <FindingsPage />;
  if (path === "/approvals") return <ApprovalsPage />;
  return <NotFoundPage />;
}

function ThemeToggle() {
  const [theme, toggle] = useTheme();
  return (
    <button
      type="button"
      className="icon-button"
      onClick={toggle}
      aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
      title={theme === "dark" ? "Light theme" : "Dark theme"}
    >
      {theme === "dark" ? "☀" : "☾"}
    </button>
  );
}

export function App() {
  const session = useSession();
  const [collapsed, toggleSidebar] = useSidebarCollapsed();

  if (session.status === "signed-out") {
    return (
      <div className="signed-out">
        <div className="signed-out-theme">
          <ThemeToggle />
        </div>
        <SignInPage />
      </div>
    );
  }
  if (session.status === "checking") {
    return (
      <p className="loading" role="status">
        Checking your session…
      </p>
    );
  }
  const who = session.who;
  return (
    <div className="layout" data-sidebar={collapsed ? "collapsed" : "expanded"}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Sidebar collapsed={collapsed} onToggle={toggleSidebar} />
      <div className="main-column">
        <header className="topbar">
          <span className="whoami" title={who?.issuer}>
            Signed in as <strong>{who?.name ?? who?.subject}</strong>
            {who?.credential === "personal-token" ? " (personal token)" : null}
          </span>
          <ThemeToggle />
          <button type="button" className="button small" onClick={() => session.signOut()}>
            Sign out
          </button>
        </header>
        <main id="main" tabIndex={-1}>
          <Page />
        </main>
      </div>
    </div>
  );
}
