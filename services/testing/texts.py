"""Interface texts of the job seeker's pages that depend on data (levels, skills, can-do
statements). English source strings; Finnish and Swedish come from the catalogues."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# the names every service shows, re-exported for the pages
from services.common.names import LEVEL_SUMMARY, SKILL_NAMES, SPEAKING_TASK_NAMES  # noqa: F401

# DIALANG-style can-do statements: the job seeker picks the one that fits best.
CAN_DO = {
    "reading": {
        "A1": _l("I can understand single words and very short notices, such as opening hours."),
        "A2": _l("I can understand short, simple messages and ads about everyday matters."),
        "B1": _l("I can understand the main points of clear texts about work and daily life."),
        "B2": _l("I can read articles and letters and understand their details and viewpoints."),
        "C1": _l("I can understand long, demanding texts, also what is said only indirectly."),
        "C2": _l("I can read almost any text with ease, including specialist texts."),
    },
    "listening": {
        "A1": _l("I can understand slow, clear speech about very familiar things, such as numbers and times."),
        "A2": _l("I can understand short, clear announcements and messages about everyday matters."),
        "B1": _l("I can follow the main points of clear speech about work and daily life."),
        "B2": _l("I can follow longer talks and discussions at normal speed, also in detail."),
        "C1": _l("I can understand long and unstructured speech, also when things are said indirectly."),
        "C2": _l("I understand any kind of spoken Finnish, even fast, colloquial speech."),
    },
    "vocabulary": {
        "A1": _l("I know basic words such as numbers, days, family and food."),
        "A2": _l("I know the words I need for shopping, housing and simple work tasks."),
        "B1": _l("I know enough words to talk and read about most everyday topics."),
        "B2": _l("I have a wide vocabulary for work and society and can vary how I say things."),
        "C1": _l("I know idioms and less common words and choose the right word precisely."),
        "C2": _l("My vocabulary is as wide and precise as that of an educated native speaker."),
    },
    "structure": {
        "A1": _l("I can use a few basic forms, such as 'minä olen' and simple questions."),
        "A2": _l("I can use common case endings and the past tense in simple sentences."),
        "B1": _l("I can form most everyday sentences correctly, with some mistakes."),
        "B2": _l("I use grammar quite accurately, also in longer and complex sentences."),
        "C1": _l("I use even rare forms and structures correctly and naturally."),
        "C2": _l("I use Finnish grammar flawlessly, like an educated native speaker."),
    },
}

LEVEL_BY_SKILL = {
    "listening": {
        "A1": _l("You understand slow, clear speech with familiar words, such as times and prices."),
        "A2": _l("You catch the main information of short announcements and calls."),
        "B1": _l("You follow the main points of everyday conversations and instructions."),
        "B2": _l("You follow discussions and news in detail at normal speed."),
        "C1": _l("You understand long speech and what is meant without being said."),
        "C2": _l("You understand all kinds of spoken Finnish effortlessly."),
    },
    "reading": {
        "A1": _l("You understand names, numbers and single words in short notices."),
        "A2": _l("You find the information you need in short messages, ads and schedules."),
        "B1": _l("You understand the main points of everyday texts, e.g. instructions and work messages."),
        "B2": _l("You understand job ads, letters from authorities and articles in detail."),
        "C1": _l("You understand long and complex texts and what the writer means between the lines."),
        "C2": _l("You read all kinds of texts effortlessly."),
    },
    "vocabulary": {
        "A1": _l("You know the most common everyday words."),
        "A2": _l("You know the words of familiar everyday situations."),
        "B1": _l("You know the vocabulary of most everyday and work topics."),
        "B2": _l("Your vocabulary is broad enough for detailed discussions of work and society."),
        "C1": _l("You know a wide range of words, including less common and abstract ones."),
        "C2": _l("Your vocabulary is extensive and precise."),
    },
    "structure": {
        "A1": _l("You recognise basic word forms and simple sentence patterns."),
        "A2": _l("You use common case endings and verb forms in simple sentences."),
        "B1": _l("You master the central forms of Finnish in everyday sentences."),
        "B2": _l("You use case endings and verb forms accurately in varied sentences."),
        "C1": _l("You use even demanding forms, such as participles and infinitives, correctly."),
        "C2": _l("Your Finnish grammar is flawless."),
    },
    "writing": {
        "A1": _l("You write short, simple phrases about yourself, such as your name and where you live."),
        "A2": _l("You write short, simple messages about everyday matters, e.g. that you are ill today."),
        "B1": _l("You write clear connected texts on familiar topics, e.g. an email to your workplace."),
        "B2": _l("You write clear, detailed texts and give reasons for your views, e.g. a job application."),
        "C1": _l("You write well-structured texts on complex topics and choose a suitable style."),
        "C2": _l("You write fluent, accurate texts in any style, even on demanding topics."),
    },
}

# what the writing scorer's checks found, as the practice page names it
WRITING_FLAGS = {
    "too_short": _l("The text is shorter than the task asks."),
    "repetition": _l("Part of the text repeats itself."),
    "copied": _l("Part of the text is copied from the task or the test."),
    "off_task": _l("Part of the text is not about the task."),
    "word_list": _l("The text is a list of words, not sentences."),
    "not_finnish": _l("The text is not in Finnish."),
}

# a skill whose level comes from a single answer (writing: one text) says so on the result
ONE_ANSWER = _l("This level comes from one answer only. One answer shows only part of what you "
                "can do, so take the level as a rough guide.")

NEXT_STEPS = {
    "A1": _l("A Finnish course for beginners suits you (e.g. integration training). Practise everyday words daily."),
    "A2": _l("Continue with a course at level A2–B1. Read simple news, e.g. Yle Selkouutiset, every day."),
    "B1": _l("You can apply for jobs where simple Finnish is enough. Practise work vocabulary and writing messages."),
    "B2": _l("You can work in many jobs in Finnish. A YKI test at the intermediate level can prove your skills."),
    "C1": _l("You can work and study in Finnish. Focus on the language of your own field."),
    "C2": _l("Your Finnish is at the highest level: you can prove it with a YKI test at the advanced level."),
}

CERTAINTY = [
    (0.8, _l("The result is clear.")),
    (0.6, _l("The result is fairly clear; you are close to a neighbouring level.")),
    (0.0, _l("The result is uncertain: you are between two levels. More questions would give a more accurate result.")),
]


def certainty_text(p: float):
    for threshold, text in CERTAINTY:
        if p >= threshold:
            return text
    return CERTAINTY[-1][1]


SPEECH_STAGES = {
    "queued": _l("Waiting to be scored"),
    "starting": _l("Starting"),
    "checking": _l("Checking the recording"),
    "recognising": _l("Listening to the words"),
    "measuring": _l("Measuring fluency"),
    "aligning": _l("Comparing with the text"),
    "done": _l("Scored"),
    "failed": _l("Could not be scored"),
}
SPEECH_SUBSCORES = {
    "accuracy": _l("Accuracy"),
    "fluency": _l("Fluency"),
    "range": _l("Range of vocabulary"),
    "task": _l("How well you answered the task"),
}
