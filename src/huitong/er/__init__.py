"""Entity resolution: standardisers (this package) and, on top of them, blocking, scoring and clustering."""
