import { createContext, useContext } from "react";
import type { TocsinClient } from "@tocsin/client";
import type { Route } from "./lib/routes.ts";
import type { Session } from "./lib/session.ts";

/** What every page of a signed-in console needs. */
export interface ConsoleContext {
  session: Session;
  client: TocsinClient;
  route: Route;
  /** The query string of the current address, without `?`. */
  search: string;
  navigate(to: Route | string, opts?: { replace?: boolean }): void;
  signOut(message?: string): void;
}

export const Ctx = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const c = useContext(Ctx);
  if (!c) throw new Error("useConsole outside the signed-in console");
  return c;
}
