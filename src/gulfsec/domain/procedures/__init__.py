"""Procedures decided over the log: each a pure state machine whose steps are entries.

Empty for now. Consensus and silence procedures, meetings and mediation, the unusual-activity
and incident mechanisms will live here, one module each, as functions of the entries that any
node can recompute from its own verified copy (DESIGN.md §8, §9, §12).
"""
