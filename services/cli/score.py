"""`taitotaso score` (a written or spoken answer), `taitotaso fit writing-model` and
`taitotaso recordings purge`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import _err


def cmd_score_writing(args) -> int:
    from item_bank.content import writing_tasks
    from scoring.adapters import writing_scorer
    from scoring.textinput import TextInputError, clean, read_answer

    if bool(args.file) == bool(args.jsonl):
        return _err("give the answer FILE, or --jsonl FILE with one answer a line")
    tasks = writing_tasks()
    if args.task and args.task not in tasks:
        return _err(f"no writing task {args.task!r} in the item bank")
    if args.jsonl:
        return _score_writing_batch(args.jsonl, tasks, writing_scorer, clean, TextInputError)
    try:
        with open(args.file, "rb") as fh:
            text = read_answer(fh.read())
    except OSError as err:
        return _err(f"cannot read {args.file}: {err.strerror}")
    except TextInputError as err:
        return _err(str(err))
    prompt, min_words = args.prompt_text or "", None
    if args.task:
        prompt, min_words = tasks[args.task]
    result = writing_scorer().score(text, prompt, min_words, task_id=args.task)
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0


def _score_writing_batch(path, tasks, make_scorer, clean, TextInputError) -> int:
    """One JSON line in per answer ({"id", "prompt_text" or "task_id", "text"}), one JSON
    line out with the same keys as a single answer's score and ``id``. The language tools
    load once. A line that cannot be scored gets {"id", "error"} and the rest go on; the
    exit status is 1 when any line failed."""
    try:
        fh = open(path, "rb") if path != "-" else sys.stdin.buffer
    except OSError as err:
        return _err(f"cannot read {path}: {err.strerror}")
    scorer, failed = make_scorer(), 0
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            entry = None
            try:
                entry = json.loads(line.decode("utf-8-sig" if n == 1 else "utf-8"))
                if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                    raise ValueError('each line must be a JSON object with a "text" string')
                task_id = entry.get("task_id")
                if task_id is not None and task_id not in tasks:
                    raise ValueError(f"no writing task {task_id!r} in the item bank")
                prompt, min_words = tasks[task_id] if task_id else (str(entry.get("prompt_text") or ""), None)
                result = scorer.score(clean(entry["text"]), prompt, min_words, task_id=task_id)
                out = {"id": entry.get("id"), **result.as_dict()}
            except json.JSONDecodeError as err:
                failed += 1
                out = {"id": None, "line": n, "error": f"line {n} is not a JSON object ({err.msg})"}
            except (ValueError, TextInputError) as err:   # UTF-8 errors are ValueErrors too
                failed += 1
                out = {"id": entry.get("id") if isinstance(entry, dict) else None, "line": n,
                       "error": str(err)}
            print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def cmd_score_speech(args) -> int:
    from item_bank.content import speaking_tasks
    from scoring.speech.audio import AudioProblem
    from scoring.speech.engines import make_recognizer
    from scoring.speech.engines.model_files import ModelFilesMissing
    from scoring.speech.scorer import SpeechScorer
    from services.scoring.handlers import shared_tools

    given = [a for a in (args.reference_text, args.prompt_text, args.item) if a]
    if len(given) != 1:
        return _err("give exactly one of --reference-text (read-aloud), --prompt-text (open "
                    "speaking) or --item (a speaking item of the bank)")
    reference, prompt, cefr, max_seconds = args.reference_text, args.prompt_text, None, None
    if args.item:
        task = speaking_tasks().get(args.item)
        if task is None:
            return _err(f"no speaking item {args.item!r} in the item bank")
        cefr, max_seconds = task["cefr"], task["max_seconds"]
        if task["task"] == "read_aloud":
            reference = task["text"]
        else:
            prompt = task["text"]
    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
    except OSError as err:
        return _err(f"cannot read {args.file}: {err.strerror}")
    try:
        scorer = SpeechScorer(make_recognizer(args.engine, args.threads or None), *shared_tools(),
                              forced_decoding=not args.no_forced_decoding)
        result = scorer.score(data, reference_text=reference, prompt_text=prompt, passage_cefr=cefr,
                              max_seconds=max_seconds)
    except AudioProblem as problem:
        return _err(f"{args.file}: {problem} ({problem.code})")
    except (ModelFilesMissing, ValueError) as err:
        return _err(str(err))
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_fit_writing(args) -> int:
    from item_bank.content import writing_tasks
    from scoring.adapters import default_tools
    from scoring.evidence import TestMaterial
    from scoring.fit import RatedTextsError, evaluate, fit, read_rated
    from scoring.written import WritingScorer

    try:
        rows = read_rated(args.csv)
        heldout = read_rated(args.heldout) if args.heldout else []
    except (OSError, RatedTextsError) as err:
        return _err(str(err))
    tasks, tools, material = writing_tasks(), default_tools(), TestMaterial.from_item_bank()
    model = fit(rows, tools, tasks, alpha=args.alpha, material=material,
                trained_on=f"{Path(args.csv).name} ({len(rows)} texts)")
    scorer = WritingScorer(*tools, model=model, material=material)
    model.agreement["train"] = evaluate(scorer, rows, tasks)
    if heldout:
        model.agreement["heldout"] = evaluate(scorer, heldout, tasks)
    model.save(args.out)
    print(json.dumps({"model": args.out, "version": model.version, "agreement": model.agreement,
                      "residual_sd": model.residual_sd, "confidence": model.confidence,
                      "merged": model.merged}))
    return 0


def cmd_recordings_purge(args) -> int:
    from services.common.config import Config
    from services.common.db import Database
    from services.scoring.retention import purge_recordings

    config = Config.from_env()
    days = args.days or config.recording_retention_days
    n = purge_recordings(Database(config.database_url), days)
    print(f"deleted the recordings and transcripts of {n} spoken answers older than {days} days")
    return 0
