"""A node's pages for its party's delegates."""
