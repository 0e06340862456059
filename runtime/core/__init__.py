Modules here are copied into `generated/` as they are, behind the generated header: the spec-independent
machinery as ordinary Python, linted and tested as such. They import only the standard library and each other
(relatively), never `runtime` or `codegen`; the generated modules configure them with what the spec decides.

- `codec.py`: values of the spec's kinds in JSON, XML and `$value`, read and written; type helpers.
- `http1.py`: the incremental request reader both serving cores use.
- `wire.py`: `Request`, `Response`, `ApiError`, and the `ResponseWriter` that turns a response into bytes.
- `router.py`: the routing table keyed by literal segments, for the device API and the control API.
- `deviceapi.py`: the device API's request path (`DeviceApi`), configured by the generated `handler.py`.
- `httpserver.py`: the `http.server` request handler (the threads core).
- `httpclient.py`: the client's HTTP plumbing and command-line frame, subclassed by the generated `client.py`.
