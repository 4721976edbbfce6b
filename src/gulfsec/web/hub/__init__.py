"""The hub's pages: the public log and the secretariat's overview."""
