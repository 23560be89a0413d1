"""The scoring service: written answers to CEFR in seconds, and the review queue."""
