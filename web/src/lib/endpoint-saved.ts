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

/** The note for endpoint `id`, or null. It stays until `forgetSaved`, so a render run twice (React's StrictMode) sees it both times. */
export function savedNote(id: string): SavedNote | null {
  return last?.id === id ? last : null;
}

/** Drops the note once it has been shown, so coming back to the page later does not show it again. */
export function forgetSaved(id: string): void {
  if (last?.id === id) last = null;
}
