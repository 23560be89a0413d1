"""The adaptive engine: IRT models, ability estimation, item selection, stopping, CEFR levels.

Plain Python and numpy; nothing here knows about HTTP or databases.
"""
