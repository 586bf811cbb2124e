"""Facility-location models on plain cost matrices (no geometry inside)."""
