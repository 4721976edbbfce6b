"""Adapters: the edges where gulfsec meets files, databases and third-party libraries."""
