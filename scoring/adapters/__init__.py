"""Adapters of the scoring ports: Voikko, wordfreq, lingua."""
