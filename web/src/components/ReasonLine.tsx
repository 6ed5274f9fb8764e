import { type DeliveryReason, reasonOf } from "../lib/silence-words.ts";
import { Link } from "./ui.tsx";

const LEADS: Record<string, string> = { silenced: "Not sent", folded: "Folded", flapping: "Held" };

/**
 * Why a delivery was not sent (or was folded into a digest): the API's sentence, and a link to the
 * silence when one did it. Nothing for a delivery without a reason.
 */
export function ReasonLine({ tenant, delivery }: { tenant: string; delivery: object }) {
  const r: DeliveryReason | null = reasonOf(delivery);
  if (!r) return null;
  return (
    <p className="reason" data-reason={r.code}>
      <span className="visually-hidden">{LEADS[r.code] ?? "Why"}: </span>
      {r.message}
      {r.silenceId ? (
        <>
          {" "}
          <Link to={{ page: "silence", tenant, id: r.silenceId }}>View the silence</Link>
        </>
      ) : null}
    </p>
  );
}
