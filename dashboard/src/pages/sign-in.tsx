// Sign-in: single sign-on at the identity provider (when configured and the
// dashboard is served by the gateway itself), the development login (when the
// gateway has it on), or a pasted token.
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, type AuthMethods } from "../api.ts";
import { TextArea, TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { API_BASE_URL } from "../config.ts";
import { useSession } from "../session.tsx";

function SingleSignOn({ displayName, loginUrl }: { displayName: string; loginUrl: string }) {
  const here = `${window.location.pathname}${window.location.search}`;
  const href = `${API_BASE_URL}${loginUrl}?return=${encodeURIComponent(here)}`;
  return (
    <section className="card stack" aria-labelledby="sso-title">
      <h2 id="sso-title">Single sign-on</h2>
      <p className="muted">Sign in with your organisation's account.</p>
      <a className="button primary" href={href}>
        Sign in with {displayName}
      </a>
    </section>
  );
}

function DevLoginForm() {
  const { api, signIn } = useSession();
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(await api.devLogin(username, password));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="dev-login-title" noValidate>
      <h2 id="dev-login-title">Development login</h2>
      <p className="muted">
        The user name and password that <code>npm start</code> printed (also in <code>.dev.vars</code>).
      </p>
      <TextField
        label="User name"
        name="username"
        autoComplete="username"
        value={username}
        onChange={(event) => setUsername(event.target.value)}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <ProblemAlert error={error} />
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

function TokenForm() {
  const { signIn } = useSession();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.replace(/^Bearer\s+/i, ""));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="token-login-title" noValidate>
      <h2 id="token-login-title">Use a token</h2>
      <p className="muted">A personal access token, or an access token from your identity provider.</p>
      <TextArea
        label="Bearer token"
        name="token"
        rows={4}
        spellCheck={false}
        autoComplete="off"
        value={token}
        onChange={(event) => setToken(event.target.value)}
      />
      <ProblemAlert error={error} />
      <button type="submit" className="button primary" disabled={busy || token.trim() === ""}>
        {busy ? "Checking…" : "Sign in with token"}
      </button>
    </form>
  );
}

export function SignInPage() {
  const { api, notice } = useSession();
  const [methods, setMethods] = useState<AuthMethods | null>(null);
  const [methodsError, setMethodsError] = useState<unknown>(null);

  useEffect(() => {
    api.authMethods().then(setMethods, setMethodsError);
  }, [api]);

  return (
    <main className="sign-in" id="main">
      <h1>
        <span className="brand-mark" aria-hidden="true">
          M
        </span>{" "}
        MCP Gateway
      </h1>
      <p className="muted">Sign in to manage servers, access and tokens.</p>
      {notice ? (
        <div className="alert warning" role="status">
          {notice}
        </div>
      ) : null}
      {methodsError instanceof ApiError && methodsError.status === 0 ? (
        <ProblemAlert error={methodsError} />
      ) : null}
      <div className="sign-in-methods">
        {methods?.singleSignOn && API_BASE_URL === "" ? <SingleSignOn {...methods.singleSignOn} /> : null}
        {methods?.devLogin ? <DevLoginForm /> : null}
        <TokenForm />
      </div>
      {methods && methods.identityProviders.length > 0 ? (
        <p className="muted small">
          Tokens from {methods.identityProviders.map((provider) => provider.displayName).join(", ")} are
          accepted.
        </p>
      ) : null}
    </main>
  );
}
