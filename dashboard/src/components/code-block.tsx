// Preformatted text (configuration, schemas) with a copy button.
import { CopyButton } from "./copy-button.tsx";

export function CodeBlock({ text, label }: { text: string; label: string }) {
  return (
    <div className="code-block">
      <div className="code-block-bar">
        <span>{label}</span>
        <CopyButton text={text} label={`Copy`} />
      </div>
      <pre>
        <code>{text}</code>
      </pre>
    </div>
  );
}
