/** The event type whose catalog example a test or a preview sends; empty: the built-in sample. */
export function ExampleTypeSelect({ id, value, onChange, types }: { id: string; value: string; onChange: (type: string) => void; types: readonly string[] }) {
  return (
    <div className="field">
      <label htmlFor={id}>Event type</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Built-in sample payload</option>
        {types.map((t) => (
          <option key={t} value={t}>
            {t} (catalog example)
          </option>
        ))}
      </select>
    </div>
  );
}
