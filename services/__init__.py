"""The Flask services of Taitotaso: the only place where HTTP, sessions and wiring live."""
