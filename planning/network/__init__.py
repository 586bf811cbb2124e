"""Road graph with named impedances, snapping, and the travel-time engine."""
