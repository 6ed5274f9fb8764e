/**
 * The event type whose catalog example a test or a preview sends; empty: the built-in sample. Only
 * the types the webhook subscribes to are offered: another type's example would never reach it.
 */
export function ExampleTypeSelect({
  id,
  value,
  onChange,
  types,
  subscribed,
}: {
  id: string;
  value: string;
  onChange: (type: string) => void;
  /** The catalog types the webhook receives. */
  types: readonly string[];
  /** The webhook's eventTypes patterns, said when no catalog type matches them. */
  subscribed: readonly string[];
}) {
  return (
    <div className="field">
      <label htmlFor={id}>Event type</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={types.length === 0 ? `${id}-none` : undefined}>
        <option value="">Built-in sample payload</option>
        {types.map((t) => (
          <option key={t} value={t}>
            {t} (catalog example)
          </option>
        ))}
      </select>
      {types.length === 0 ? (
        <p className="hint" id={`${id}-none`}>
          No catalog type matches this webhook&apos;s event types ({subscribed.length ? subscribed.join(", ") : "none"}).
        </p>
      ) : null}
    </div>
  );
}
