"""Home timelines: the SQL backend now; the Redis backend with hybrid fan-out comes in issue 6."""
