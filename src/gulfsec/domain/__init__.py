"""The pure core of gulfsec: entries, the regime, forms, rules and state machines."""
