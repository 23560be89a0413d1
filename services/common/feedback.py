"""Feedback on written answers in the learner's interface language (fi, sv, en).

The scorer gives codes with details; this turns them into sentences from the catalogues.
Shared: the scoring API sends them, and the testing service's pages show them beside the
scores it gets from the scoring service.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "misspelt_words": _l("Check the spelling of these words: %(words)s."),
    "colloquial_forms": _l("You used spoken forms such as 'mä' or 'sä'. In writing, use 'minä' and 'sinä'."),
    "sentence_variety_low": _l("Your sentences are all simple. Join your ideas with words such as 'koska', 'että' and 'kun'."),
    "sentence_variety_good": _l("Good: you join your ideas with subordinate clauses."),
    "too_short": _l("Your text is shorter than the task asks. Write more about each point."),
    "off_topic": _l("Your text does not seem to answer the task. Read the task again."),
    "words_used_well": _l("Words you used well: %(words)s."),
    "empty": _l("The answer is empty: write your text and send it again."),
    "not_finnish": _l("The answer is not in Finnish, so it cannot be scored as Finnish writing."),
    "copy_of_prompt": _l("The answer copies the task. Write the text in your own words."),
    "repetition": _l("Part of your text repeats what you already wrote (%(percent)s of the words). Repeated text counts only once: write something new instead."),
    "copied": _l("Part of your text is copied from the test (%(percent)s of the words). Only your own words show your level."),
    "off_task_part": _l("Part of your text is not about the task (%(percent)s of the words), so it was not scored. Write only about what the task asks."),
    "off_task": _l("Your text is not about the task, so it cannot show your level. Read the task again and answer it."),
    "word_list": _l("This is a list of words, not sentences. Write sentences that answer the task."),
    # spoken answers
    "skipped_words": _l("You skipped these words: %(words)s."),
    "changed_words": _l("These words sounded different from the text: %(words)s."),
    "added_words": _l("You said words that are not in the text: %(words)s."),
    "long_pauses": _l("You paused for a long time (%(count)s times). Read the text through once before you record."),
    "speak_more_smoothly": _l("Try to speak more smoothly: practise reading the text aloud a few times."),
    "fluent": _l("Good: you speak smoothly and at a natural pace."),
    "read_accurately": _l("Good: you read every word of the text."),
    "unclear_audio": _l("We could not make out the words clearly enough to judge. Record again in a quiet place, close to the microphone."),
    "say_more": _l("Your answer is short. Say more about each question of the task."),
    "speech_no_speech": _l("We heard no speech in the recording. Check your microphone and record again."),
    "speech_not_finnish": _l("The answer is not in Finnish, so it cannot be scored as Finnish speech."),
    "speech_copy_of_prompt": _l("You read the task aloud. Answer the questions in your own words."),
    "speech_off_task": _l("What you said is not about the task, so it cannot show your level. Read the task again and answer it."),
    "speech_off_task_part": _l("Part of what you said is not about the task (%(percent)s of the words), so it was not scored."),
    "speech_repetition": _l("You said the same things more than once (%(percent)s of the words). Repeated speech counts only once."),
    "flat_intonation": _l("Your voice stayed on one note. Let your voice rise and fall as in a conversation."),
}

AUDIO_PROBLEMS = {
    "too_large": _l("The recording is larger than 10 MB. Record a shorter answer (at most 2 minutes)."),
    "not_audio": _l("This file is not a recording we can read. Record your answer again, or send a WAV, MP3, Ogg or WebM file."),
    "too_long": _l("The recording is too long. Keep your answer within the time limit and record again."),
    "too_short": _l("The recording is too short. Press record, speak, and then press stop."),
    "silent": _l("We heard nothing: check that your microphone is on and not muted, and speak close to it."),
    "clipped": _l("The recording is too loud and distorted. Move a little further from the microphone or turn its volume down."),
}


def _words(entry: dict) -> str:
    parts = []
    for w in entry.get("words", []):
        if isinstance(w, dict) and "heard" in w:
            parts.append(f"{w['word']} → {w['heard']}" if w.get("heard") else w["word"])
        elif isinstance(w, dict):
            hint = w.get("suggestions", [])[:1]
            parts.append(f"{w['word']} → {hint[0]}" if hint else w["word"])
        else:
            parts.append(str(w))
    return ", ".join(parts)


def with_messages(feedback: list[dict], language: str) -> list[dict]:
    with force_locale(language):
        out = []
        for entry in feedback:
            template = MESSAGES.get(entry.get("code"))
            values = {"words": _words(entry), "count": entry.get("count", ""),
                      "percent": f"{round(100 * float(entry.get('share', 0)))} %"}
            message = str(template) % values if template is not None else ""
            out.append({**entry, "message": message})
        return out


def audio_problem(problem, language: str) -> str:
    """Why a recording cannot be scored, in the learner's language."""
    with force_locale(language):
        template = AUDIO_PROBLEMS.get(problem.code)
        return str(template) if template is not None else str(problem)
