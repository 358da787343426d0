// Preferences remembered in localStorage (they are not secrets): the colour
// theme and whether the sidebar is collapsed.
import { useCallback, useEffect, useState } from "react";

export type Theme = "light" | "dark";

const THEME_KEY = "mcpgw.theme";
const SIDEBAR_KEY = "mcpgw.sidebar-collapsed";

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Private mode or storage full: the preference lasts for this page only.
  }
}

function initialTheme(): Theme {
  const stored = read(THEME_KEY);
  if (stored === "light" || stored === "dark") return stored;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = useCallback(() => {
    setTheme((now) => {
      const next = now === "dark" ? "light" : "dark";
      write(THEME_KEY, next);
      return next;
    });
  }, []);
  return [theme, toggle];
}

export function useSidebarCollapsed(): [boolean, () => void] {
  const [collapsed, setCollapsed] = useState(() => read(SIDEBAR_KEY) === "true");
  const toggle = useCallback(() => {
    setCollapsed((now) => {
      write(SIDEBAR_KEY, String(!now));
      return !now;
    });
  }, []);
  return [collapsed, toggle];
}
