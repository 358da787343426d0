// An on/off switch: a button with role="switch", so it is reachable with Tab
// and toggled with Space or Enter, and its label says what it switches.
interface SwitchProps {
  checked: boolean;
  label: string;
  disabled?: boolean;
  onChange(next: boolean): void;
}

export function Switch({ checked, label, disabled, onChange }: SwitchProps) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      className="switch"
      disabled={disabled}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}
