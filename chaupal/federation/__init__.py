"""ActivityPub federation (issue 7): discovery documents, actors and objects, HTTP Signatures,
safe remote fetches, the inbox, durable delivery and the operator's domain policy.
`docs/federation.md` describes what is supported and how to run it."""
