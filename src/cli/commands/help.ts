/** `tocsin --help`: every command, one line each. Each command's own help is beside its code. */

export const MAIN_HELP = `Usage: tocsin <command> [options]

Server:
  serve                   Run the API and the delivery workers in one process
  api                     Run the API only (PostgreSQL)
  worker                  Run the delivery workers only (PostgreSQL)
  migrate                 Apply database migrations and exit
  backup                  Copy the embedded SQLite database to a file, while serving
  keys rotate-master      Re-encrypt every stored secret under a new master key
  keys create             Create an admin key, or a tenant key with --tenant
  keys list               List keys (never the keys themselves)
  keys revoke             Revoke a key
  portal-session          Create a short-lived customer console session for a tenant

Client (talk to a running server; --url / TOCSIN_URL, --api-key / TOCSIN_API_KEY):
  tenant create           Create a tenant
  endpoint add            Add an endpoint to a tenant, with any of its settings
  endpoint update         Change an endpoint's URL, event types or settings
  endpoint show           Show an endpoint's settings and status
  endpoint list           List a tenant's endpoints
  endpoint test           Send a test delivery now and show the receiver's answer
  endpoint validate       Run the endpoint's validation (token-path or challenge) now
  endpoint pause          Pause deliveries to an endpoint (they wait until resumed)
  endpoint resume         Resume a paused endpoint
  endpoint secret         Print an endpoint's signing secret
  endpoint rotate-secret  Issue a new signing secret
  endpoint replay         Resend an endpoint's failed deliveries (or all events) of a time range
  endpoint rm             Delete an endpoint
  send                    Post an event from a file or stdin
  deliveries              List deliveries
  deliveries retry-failed Queue every failed delivery of a filter again, as a job with progress
  silences create         Silence matching events for a while, or in weekly maintenance windows
  silences list           List a tenant's silences (expired ones too)
  silences show           Show a silence
  silences expire         End a silence now (alerts it held that are still open are sent)
  examples list           List the ready-made vendor integrations
  examples load           Load one (event types, tenant, endpoint) into the server

Receiver (the other end: try and check webhooks):
  listen                  Run a local receiver that shows each webhook and checks its signature
  verify                  Check a saved request's signature (exit 0 verified, 1 not)

Run 'tocsin <command> --help' for a command's options.`;
