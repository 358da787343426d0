// The navigation: one link per page the user may use, a collapse toggle
// (remembered), and who is signed in. On narrow screens it becomes a top bar.
import { type Action, can } from "../permissions.ts";
import { Link, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";
import { Icon, type IconName } from "./icons.tsx";

interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  /** Shown only to users who hold this action somewhere. */
  needs?: Action;
}

const NAV: NavItem[] = [
  { to: "/servers", label: "Servers", icon: "servers", needs: "list_service" },
  { to: "/agents", label: "Agents", icon: "agents", needs: "list_agents" },
  { to: "/search", label: "Search", icon: "search" },
  { to: "/virtual-servers", label: "Virtual servers", icon: "servers", needs: "list_service" },
  { to: "/connect", label: "Connect", icon: "connect" },
  { to: "/tokens", label: "Tokens", icon: "tokens" },
  { to: "/connections", label: "Connected accounts", icon: "connect" },
  { to: "/access", label: "Access", icon: "access" },
  { to: "/usage", label: "Usage", icon: "usage", needs: "view_metrics" },
  { to: "/federation", label: "Federation", icon: "federation", needs: "manage_federation" },
  { to: "/findings", label: "Findings", icon: "access", needs: "list_service" },
  { to: "/approvals", label: "Approvals", icon: "access", needs: "modify_service" },
  { to: "/audit", label: "Audit log", icon: "usage", needs: "view_audit" },
];

interface SidebarProps {
  collapsed: boolean;
  onToggle(): void;
}

export function Sidebar({ collapsed, onToggle }: SidebarProps) {
  const { path } = useLocation();
  const { who } = useSession();
  const items = NAV.filter((item) => !item.needs || can(who, item.needs));
  return (
    <nav className="sidebar" aria-label="Main" data-collapsed={collapsed}>
      <div className="sidebar-head">
        <span className="brand" aria-hidden={collapsed}>
          <span className="brand-mark" aria-hidden="true">
            M
          </span>
          <span className="brand-name">MCP Gateway</span>
        </span>
        <button
          type="button"
          className="icon-button sidebar-toggle"
          aria-expanded={!collapsed}
          aria-label={collapsed ? "Expand sidebar" : "Collapse sidebar"}
          onClick={onToggle}
        >
          {collapsed ? "»" : "«"}
        </button>
      </div>
      <ul>
        {items.map((item) => {
          const current = path === item.to || path.startsWith(`${item.to}/`);
          return (
            <li key={item.to}>
              <Link to={item.to} aria-current={current ? "page" : undefined} title={item.label}>
                <span className="nav-icon">
                  <Icon name={item.icon} />
                </span>
                <span className="nav-label">{item.label}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
