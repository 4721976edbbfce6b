"""HTTP entry points: the hub's API (and, later, the node's)."""
