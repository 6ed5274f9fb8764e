/** How to reach an endpoint: what its connection pool is made with. */
export interface Transport {
  /** The endpoint the request is for (or about): each endpoint's requests go through pools of its own. */
  endpointId: string;
  /** An endpoint's requests with equal keys (and origins) share a keep-alive pool; it changes when these settings do. */
  poolKey: string;
  connectTimeoutMs: number;
  /** Time allowed for the response headers once the request is sent, and between body chunks. */
  requestTimeoutMs: number;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert: string | null;
  key: string | null;
  /** Extra CA certificates (PEM), trusted in addition to the usual roots. */
  ca: string | null;
  skipVerify: boolean;
  /** A proxy named in TOCSIN_PROXIES (the endpoint's `proxy`); null or absent: TOCSIN_EGRESS_PROXY, or direct. */
  proxy?: string | null;
}
