"""The department's implementation plan: items per division, progress, monitoring, budget."""
