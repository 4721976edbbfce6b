"""Procedures decided over the log: each a pure state machine whose steps are entries.

One module each, as functions of the entries that any node can recompute from its own verified
copy (DESIGN.md §8, §9, §12): deciding by consensus or silence (:mod:`.decisions`, with the
kinds of decision in :mod:`.kinds`, the Concept and the designation list), consultation threads
(:mod:`.threads`), meetings (:mod:`.meetings`), mediation (:mod:`.mediation`). What the hub
refuses before sequencing is :mod:`.checks`.
"""
