"""Serving a device over HTTP(S): the two serving cores (asyncio, threads), TLS, and `EmbeddedServer`."""
