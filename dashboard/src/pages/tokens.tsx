// Personal access tokens: mint one (scopes chosen from those the user holds,
// a lifetime), see it once to copy it, list, revoke.
import { useCallback, useEffect, useState } from "react";
import type { MintedToken, TokenRecord } from "../api.ts";
import { CodeBlock } from "../components/code-block.tsx";
import { TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { RecordTable, RowDangerButton } from "../components/record-table.tsx";
import { dateTime, duration } from "../format.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useFormSubmit } from "../use-form-submit.ts";

const LIFETIMES = [3600, 86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400];

function MintForm({ onMinted }: { onMinted(token: MintedToken): void }) {
  const { api, who } = useSession();
  const held = who?.effectiveScopes ?? [];
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [lifetime, setLifetime] = useState(30 * 86_400);
  const { busy, error, errors, submit } = useFormSubmit(async () => {
    onMinted(await api.mintToken({ name, scopes, expiresIn: lifetime }));
    setName("");
    setScopes([]);
  });

  const nameError = errors.for("name");
  const scopesError = errors.for("scopes");
  const lifetimeError = errors.for("expiresIn");
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="mint-title" noValidate>
      <h2 id="mint-title">New token</h2>
      <TextField
        label="Name"
        name="token-name"
        placeholder="e.g. laptop-claude-code"
        value={name}
        error={nameError}
        onChange={(event) => setName(event.target.value)}
      />
      <fieldset className="scopes" aria-describedby={scopesError ? "mint-scopes-error" : undefined}>
        <legend>Scopes (from those you hold)</legend>
        {held.length === 0 ? <p className="muted">You hold no scopes to pass on.</p> : null}
        {held.map((scope) => (
          <label key={scope} className="checkbox">
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              onChange={(event) =>
                setScopes((current) =>
                  event.target.checked ? [...current, scope] : current.filter((item) => item !== scope),
                )
              }
            />{" "}
            <code>{scope}</code>
          </label>
        ))}
        {scopesError ? (
          <span className="field-error" id="mint-scopes-error" role="alert">
            {scopesError}
          </span>
        ) : null}
      </fieldset>
      <div className="field">
        <label htmlFor="token-lifetime">Lifetime</label>
        <select
          id="token-lifetime"
          value={lifetime}
          aria-invalid={lifetimeError ? true : undefined}
          onChange={(event) => setLifetime(Number(event.target.value))}
        >
          {LIFETIMES.map((seconds) => (
            <option key={seconds} value={seconds}>
              {duration(seconds)}
            </option>
          ))}
        </select>
        {lifetimeError ? (
          <span className="field-error" role="alert">
            {lifetimeError}
          </span>
        ) : null}
      </div>
      <ProblemAlert error={error} unclaimed={errors.unclaimed()} />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Minting…" : "Mint token"}
        </button>
      </div>
    </form>
  );
}

function MintedNotice({ minted, onDone }: { minted: MintedToken; onDone(): void }) {
  return (
    <section className="card stack minted" aria-labelledby="minted-title">
      <h2 id="minted-title">Token “{minted.name}” minted</h2>
      <p className="alert warning">
        Copy it now: it is shown only this once. Anyone holding it acts as you, within its scopes.
      </p>
      <CodeBlock label="New token" text={minted.token} />
      <div className="form-actions">
        <Link className="button" to="/connect">
          Set up a client with it
        </Link>
        <button type="button" className="button primary" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </section>
  );
}

function TokenList({ tokens, onRevoked }: { tokens: TokenRecord[]; onRevoked(): void }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function revoke(token: TokenRecord) {
    setBusy(token.id);
    setError(null);
    try {
      await api.revokeToken(token.id);
      onRevoked();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  if (tokens.length === 0) return <p className="empty">No tokens yet.</p>;
  return (
    <>
      <ProblemAlert error={error} />
      <RecordTable
        className="tokens"
        caption="Your tokens"
        columns={["Name", "Scopes", "Created", "Expires", "Status"]}
      >
        {tokens.map((token) => (
          <tr key={token.id}>
            <td>{token.name}</td>
            <td>{token.scopes.join(", ") || token.groups.join(", ")}</td>
            <td>{dateTime(token.createdAt)}</td>
            <td>{dateTime(token.expiresAt)}</td>
            <td>
              <span className="status" data-active={token.active}>
                {token.revokedAt ? "revoked" : token.active ? "active" : "expired"}
              </span>
            </td>
            <td>
              {token.active ? (
                <RowDangerButton
                  label="Revoke"
                  busyLabel="Revoking…"
                  name={token.name}
                  busy={busy === token.id}
                  disabled={busy !== null}
                  onClick={() => void revoke(token)}
                />
              ) : null}
            </td>
          </tr>
        ))}
      </RecordTable>
    </>
  );
}

export function TokensPage() {
  const { api, who } = useSession();
  const [tokens, setTokens] = useState<TokenRecord[] | null>(null);
  const [minted, setMinted] = useState<MintedToken | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    api.listTokens().then(setTokens, setError);
  }, [api]);
  useEffect(load, [load]);

  // A personal access token cannot mint others (the gateway refuses it).
  const mayMint = who?.credential !== "personal-token";
  return (
    <section className="stack" aria-labelledby="tokens-title">
      <h1 id="tokens-title">Tokens</h1>
      {minted ? <MintedNotice minted={minted} onDone={() => setMinted(null)} /> : null}
      {mayMint ? (
        <MintForm
          onMinted={(token) => {
            setMinted(token);
            load();
          }}
        />
      ) : (
        <p className="alert">You are signed in with a personal access token, which cannot mint tokens.</p>
      )}
      <h2>Your tokens</h2>
      <ProblemAlert error={error} />
      {tokens ? <TokenList tokens={tokens} onRevoked={load} /> : error ? null : <p role="status">Loading…</p>}
    </section>
  );
}
