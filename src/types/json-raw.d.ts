// JSON.rawJSON / JSON.isRawJSON (ES2026 "JSON.parse source text access"), available in Node 24.
interface JSON {
  rawJSON(text: string): { readonly rawJSON: string };
  isRawJSON(value: unknown): boolean;
}
