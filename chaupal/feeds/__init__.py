"""Home timelines: `sql.py` reads them from the database (the default); `redis_feed.py`,
`fanout.py` and `redis_store.py` are the Redis feeds with hybrid fan-out."""
