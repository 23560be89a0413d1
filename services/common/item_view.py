"""How an item is shown and its form read: the job seeker's pages (testing) and the item
preview of authors and standard-setting panelists (authoring) use the same.
"""
from __future__ import annotations

from markupsafe import Markup, escape


# The length a writing prompt states in Finnish; the page says it in the learner's language
LENGTH_LINE = "Kirjoita {min}–{max} sanaa."


def prompt_lines(prompt: str, min_words: int | None = None, max_words: int | None = None
                 ) -> list[list[str]]:
    """A writing prompt as paragraphs of lines, every line break kept (a prompt's lines are a
    list of what to write); the prompt's own line stating the length the page states already
    (``Kirjoita 15–30 sanaa.``) is left out, so the length appears once."""
    length = LENGTH_LINE.format(min=min_words, max=max_words).replace("–", "-")
    out, lines = [], []
    for ln in str(prompt).strip().splitlines():
        ln = ln.strip()
        if not ln:
            if lines:
                out.append(lines)
            lines = []
        elif ln.replace("–", "-") != length:
            lines.append(ln)
    if lines:
        out.append(lines)
    return out


def paragraphs(text: str) -> list[list[str]]:
    """Paragraphs of a stimulus text as lists of lines: lines of a notice or a list keep
    their breaks; prose wrapped in the content file flows as one line."""
    out = []
    for block in str(text).strip().split("\n\n"):
        lines: list[str] = []
        joining = False
        for ln in (ln.strip() for ln in block.splitlines()):
            if not ln:
                continue
            if joining:
                lines[-1] += " " + ln
            else:
                lines.append(ln)
            joining = len(ln) >= 45  # a long line was wrapped: the next one continues it
        out.append(lines)
    return out


def highlight(text: str) -> Markup:
    """``**word**`` in item content becomes <strong>word</strong>; everything else is escaped."""
    parts = str(escape(text)).split("**")
    return Markup("".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts)))


def answer_from_form(form):
    """The answer of the item form (item.html): one field, or for a C-test one field a gap;
    None when nothing was chosen."""
    answer = form.get("answer")
    if answer is None and form.get("gaps", "").isdigit():
        n = min(int(form["gaps"]), 60)
        answer = [form.get(f"answer_{i}", "") for i in range(n)]
    return answer
