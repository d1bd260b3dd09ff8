"""Your code: handlers, guards and hooks named by the blueprint. `backend-agent new --update` never
overwrites anything in this folder."""
