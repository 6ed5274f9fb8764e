import { DeliveryLog } from "../components/DeliveryLog.tsx";
import { PageHeader } from "../components/ui.tsx";

/** Every delivery of the tenant, across its webhooks. */
export function DeliveriesPage({ tenant }: { tenant: string }) {
  return (
    <section>
      <PageHeader title="Deliveries" subtitle="Every event sent to this tenant's webhooks, newest first." />
      <DeliveryLog tenant={tenant} />
    </section>
  );
}
