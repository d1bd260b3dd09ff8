"""Business rules: who may do what, state machines, derived values. No HTTP, no SQL text."""
