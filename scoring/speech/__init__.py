"""Spoken answers scored to CEFR: audio checks, speech recognition behind one port,
read-aloud accuracy, fluency from the audio itself, and open speaking levels."""
