"""Adapters of the scoring ports: Voikko, wordfreq, lingua."""


def default_tools():
    """(analyzer, frequencies, languages) as production uses them."""
    from .lexicon import LinguaIdentifier, WordfreqList
    from .voikko import VoikkoAnalyzer

    return VoikkoAnalyzer(), WordfreqList(), LinguaIdentifier()


def writing_scorer(tools=None, model=None):
    """The writing scorer as production uses it: the language tools, the level model and
    the Finnish texts of the item bank (an answer that copies them is not the learner's own)."""
    from ..evidence import TestMaterial
    from ..written import WritingScorer

    return WritingScorer(*(tools or default_tools()), model=model,
                         material=TestMaterial.from_item_bank())
