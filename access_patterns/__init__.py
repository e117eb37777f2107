"""Example applications declared with dynamodel."""
