"""Adapters of the scoring ports: Voikko, wordfreq, lingua."""


def default_tools():
    """(analyzer, frequencies, languages) as production uses them."""
    from .lexicon import LinguaIdentifier, WordfreqList
    from .voikko import VoikkoAnalyzer

    return VoikkoAnalyzer(), WordfreqList(), LinguaIdentifier()
