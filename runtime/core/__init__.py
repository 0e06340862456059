"""The runtime's standard-library-only core: the spec-independent machinery the generated modules configure.

Written once and imported (never copied) by `generated/`, the rest of `runtime/` and `codegen/`. It imports
only the standard library and itself; nothing here knows the spec or the emulator.

- `codec.py`: values of the spec's kinds in JSON, XML and `$value`, read and written; type helpers.
- `http1.py`: the incremental request reader both serving cores use.
- `wire.py`: `Request`, `Response`, `ApiError`, and the `ResponseWriter` that turns a response into bytes.
- `router.py`: the routing table keyed by literal segments, for the device API and the control API.
- `deviceapi.py`: the device API's request path (`DeviceApi`), configured by the generated `handler.py`.
- `httpserver.py`: the `http.server` request handler (the threads core).
- `httpclient.py`: the client's HTTP plumbing and command-line frame, subclassed by the generated `client.py`.
- `negotiation.py`: content negotiation on the Accept header (RFC 9110).
- `camel.py`: camelCase keys for the control API's documents.
"""
