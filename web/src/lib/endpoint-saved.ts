/**
 * What the last save of an endpoint answered, kept across the move from the form to the webhook's
 * page, so that page can confirm the save and show its warnings once.
 */

export interface SavedNote {
  id: string;
  /** The save answer's warnings: they include checks only a save runs (where the host name resolves). */
  warnings: string[];
  created: boolean;
}

let last: SavedNote | null = null;

export function rememberSaved(note: SavedNote): void {
  last = note;
}

/** The note for endpoint `id`, once: a second call (or another endpoint) gets null. */
export function takeSaved(id: string): SavedNote | null {
  if (last?.id !== id) return null;
  const note = last;
  last = null;
  return note;
}
