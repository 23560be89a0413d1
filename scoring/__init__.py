"""Scoring answers: objective items here; written and spoken answers in later modules."""
