"""HTTP APIs: the Mastodon client API and Chaupal's own extensions."""
