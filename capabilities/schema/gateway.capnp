# The gateway driver (capabilities/gateway): the node's :443 in its public namespace, routing HTTPS by
# server name to workload backends — TLS terminated with a certificate from the node's internal CA, or
# passed through untouched (`tls_passthrough`). Used by the gateway workload managers (provision).
# Routes and answers are JSON in Text fields, as storage.capnp and zdb.capnp do.
@0xdbe01565bcbf72b8;

interface Gateway {
  # Adds or replaces route `id`: json = {"id", "host", "tlsPassthrough", "backends": [...]}; backends are
  # "http://IP[:PORT]" for a terminated route and "IP:PORT" for passthrough (IP literals only, never the
  # node's loopback, link-local or own listen address). Other routes keep serving while it changes.
  # Answers {"host", "listen", "certificate"?: PEM of the leaf when terminated}.
  setRoute @0 (json :Text) -> (json :Text);
  deleteRoute @1 (id :Text) -> (existed :Bool);
  # [{"id", "host", "tlsPassthrough", "backends"}]
  list @2 () -> (json :Text);
  # {"listen": "HOST:PORT", "ca": PEM of the internal root clients trust, "routes": N}
  info @3 () -> (json :Text);
}
