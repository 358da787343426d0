// Register and edit forms for a server. Validation is the gateway's: the
// form sends what was typed and shows the problem+json field errors next to
// the fields they name (endpoints.0.url under the first endpoint's URL).
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, type Endpoint, type Server, type ServerInput } from "../api.ts";
import { TextArea, TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { FieldErrors } from "../field-errors.ts";
import { can } from "../permissions.ts";
import { Link, navigate } from "../router.tsx";
import { useSession } from "../session.tsx";

interface FormValues {
  name: string;
  path: string;
  description: string;
  tags: string;
  endpoints: Endpoint[];
  timeoutMs: string;
}

const EMPTY: FormValues = {
  name: "",
  path: "",
  description: "",
  tags: "",
  endpoints: [{ url: "", transport: "streamable-http" }],
  timeoutMs: "",
};

function fromServer(server: Server): FormValues {
  return {
    name: server.name,
    path: server.path,
    description: server.description,
    tags: server.tags.join(", "),
    endpoints: server.endpoints.map(({ url, transport, weight }) => ({
      url,
      transport,
      weight: weight ?? 1,
    })),
    timeoutMs: String(server.timeoutMs),
  };
}

function toInput(values: FormValues): ServerInput {
  const input: ServerInput = {
    name: values.name,
    path: values.path.trim(),
    description: values.description,
    tags: values.tags
      .split(",")
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ""),
    endpoints: values.endpoints.map((endpoint) => ({ ...endpoint, url: endpoint.url.trim() })),
  };
  // Sent as typed (a number when it is one), so the gateway's message explains a bad value.
  if (values.timeoutMs.trim() !== "") {
    const asNumber = Number(values.timeoutMs);
    input.timeoutMs = Number.isFinite(asNumber) ? asNumber : (values.timeoutMs as unknown as number);
  }
  return input;
}

/** Only the fields that changed: a PATCH of endpoints re-reads the catalog, so unchanged ones stay out. */
function changes(before: ServerInput, after: ServerInput): Partial<ServerInput> {
  const patch: Partial<ServerInput> = {};
  for (const key of Object.keys(after) as (keyof ServerInput)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      (patch as Record<string, unknown>)[key] = after[key];
    }
  }
  return patch;
}

interface ServerFormProps {
  title: string;
  initial: FormValues;
  submitLabel: string;
  busyLabel: string;
  onSubmit(input: ServerInput): Promise<Server>;
}

function ServerForm({ title, initial, submitLabel, busyLabel, onSubmit }: ServerFormProps) {
  const [values, setValues] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = new FieldErrors(error instanceof ApiError ? error.fieldErrors : []);

  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) =>
    setValues((current) => ({ ...current, [key]: value }));
  const setEndpoint = (index: number, patch: Partial<Endpoint>) =>
    set(
      "endpoints",
      values.endpoints.map((endpoint, at) => (at === index ? { ...endpoint, ...patch } : endpoint)),
    );

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(toInput(values));
      navigate("/servers");
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  // Specific fields claim their errors before their parents do.
  const endpointErrors = values.endpoints.map((_, index) => ({
    url: errors.for(`endpoints.${index}.url`),
    row: errors.for(`endpoints.${index}`),
  }));
  const endpointsError = errors.for("endpoints");
  const fields = (
    <>
      <TextField
        label="Name"
        name="name"
        value={values.name}
        error={errors.for("name")}
        onChange={(event) => set("name", event.target.value)}
      />
      <TextField
        label="Path"
        name="path"
        hint="Clients reach the server at /{path}/mcp; lowercase letters, digits and hyphens."
        value={values.path}
        error={errors.for("path")}
        onChange={(event) => set("path", event.target.value)}
      />
      <TextArea
        label="Description"
        name="description"
        rows={3}
        value={values.description}
        error={errors.for("description")}
        onChange={(event) => set("description", event.target.value)}
      />
      <TextField
        label="Tags"
        name="tags"
        hint="Separated by commas."
        value={values.tags}
        error={errors.for("tags")}
        onChange={(event) => set("tags", event.target.value)}
      />
      <fieldset className="endpoints">
        <legend>Endpoints (replicas)</legend>
        {values.endpoints.map((endpoint, index) => {
          const { url: urlError, row: rowError } = endpointErrors[index] ?? {};
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: endpoints have no identity but their position
            <div className="endpoint-row" key={index}>
              <TextField
                label={`Endpoint ${index + 1} URL`}
                name={`endpoints.${index}.url`}
                type="url"
                placeholder="https://example.com/mcp"
                value={endpoint.url}
                error={urlError}
                onChange={(event) => setEndpoint(index, { url: event.target.value })}
              />
              <div className="field">
                <label htmlFor={`transport-${index}`}>Transport</label>
                <select
                  id={`transport-${index}`}
                  value={endpoint.transport}
                  onChange={(event) =>
                    setEndpoint(index, { transport: event.target.value as Endpoint["transport"] })
                  }
                >
                  <option value="streamable-http">Streamable HTTP</option>
                  <option value="sse">SSE (legacy)</option>
                </select>
              </div>
              {values.endpoints.length > 1 ? (
                <button
                  type="button"
                  className="button small"
                  aria-label={`Remove endpoint ${index + 1}`}
                  onClick={() =>
                    set(
                      "endpoints",
                      values.endpoints.filter((_, at) => at !== index),
                    )
                  }
                >
                  Remove
                </button>
              ) : null}
              {rowError ? (
                <span className="field-error" role="alert">
                  {rowError}
                </span>
              ) : null}
            </div>
          );
        })}
        <button
          type="button"
          className="button small"
          onClick={() => set("endpoints", [...values.endpoints, { url: "", transport: "streamable-http" }])}
        >
          Add endpoint
        </button>
        {endpointsError ? (
          <span className="field-error" role="alert">
            {endpointsError}
          </span>
        ) : null}
      </fieldset>
      <TextField
        label="Timeout (ms)"
        name="timeoutMs"
        inputMode="numeric"
        hint="Per upstream request; empty for the gateway's default."
        value={values.timeoutMs}
        error={errors.for("timeoutMs")}
        onChange={(event) => set("timeoutMs", event.target.value)}
      />
    </>
  );

  return (
    <form className="card stack form" onSubmit={submit} noValidate aria-labelledby="server-form-title">
      <h1 id="server-form-title">{title}</h1>
      {error ? <ProblemAlert error={error} unclaimed={errors.unclaimed()} /> : null}
      {fields}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
        <Link className="button" to="/servers">
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function ServerRegisterPage() {
  const { api, who } = useSession();
  if (!can(who, "register_service")) return <p>You may not register servers.</p>;
  return (
    <ServerForm
      title="Register a server"
      initial={EMPTY}
      submitLabel="Register"
      busyLabel="Registering (reading its tools)…"
      onSubmit={(input) => api.registerServer(input)}
    />
  );
}

export function ServerEditPage({ id }: { id: string }) {
  const { api } = useSession();
  const [server, setServer] = useState<Server | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.getServer(id).then(setServer, setError);
  }, [api, id]);
  if (error) return <ProblemAlert error={error} />;
  if (!server) return <p role="status">Loading…</p>;
  const before = toInput(fromServer(server));
  return (
    <ServerForm
      title={`Edit ${server.name}`}
      initial={fromServer(server)}
      submitLabel="Save"
      busyLabel="Saving…"
      onSubmit={async (input) => {
        const patch = changes(before, input);
        // Nothing changed: nothing to send (the API refuses an empty PATCH).
        if (Object.keys(patch).length === 0) return server;
        return api.updateServer(server.id, patch);
      }}
    />
  );
}
