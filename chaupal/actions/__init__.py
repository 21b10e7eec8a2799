"""Every write lives here. `check_*` validates then calls `do_*`; `do_*` writes (already
authorised) and flushes; the caller at the edge (request, CLI, job) commits."""
