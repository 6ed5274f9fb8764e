import { CheckField } from "./fields.tsx";
import type { EndpointForm, FieldErrors, OriginMove } from "../lib/endpoint-form.ts";

type FieldSetter = <K extends keyof EndpointForm>(name: K, value: EndpointForm[K]) => void;

/**
 * Shown while the edited URL is on another origin (scheme, host or port): the stored credentials
 * were given for the old one, so the server does not send them to the new one. Says what the save
 * clears and asks for what can be given again in the same save.
 */
export function OriginMoveNote({ move, form, set, errors }: { move: OriginMove; form: EndpointForm; set: FieldSetter; errors: FieldErrors }) {
  const b = { form, set, errors, idPrefix: "ep" } as const;
  const nothingStored = !move.authAgain && !move.clientKeyAgain && !move.headersAsk;
  if (nothingStored) return null;
  return (
    <div className="warning" role="note" id="origin-move">
      <p>
        ⚠ The URL moves to another origin, <code>{move.to}</code> (was <code>{move.from}</code>). Credentials given for the old one are not sent there:
      </p>
      <ul>
        {move.authAgain ? (
          <li>
            Auth: enter the {move.authAgain} again <a href="#auth">below</a>, or choose None.
          </li>
        ) : null}
        {move.clientKeyAgain ? (
          <li>
            Client certificate: enter its key again <a href="#tls">below</a>, or clear the certificate.
          </li>
        ) : null}
        {move.headersAsk ? (
          <li>
            Headers:{" "}
            {form.keepHeaders ? "kept for the new URL." : `${move.headersCleared.join(", ")} will be removed, as they often carry keys for the old receiver.`}
            <CheckField {...b} name="keepHeaders" label="Keep the headers for the new URL" />
          </li>
        ) : null}
      </ul>
    </div>
  );
}
