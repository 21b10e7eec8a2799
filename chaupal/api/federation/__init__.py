"""ActivityPub and discovery routes: WebFinger, host-meta, NodeInfo, actors and their
collections, objects by URL (and the inbox, in `inbox`)."""
