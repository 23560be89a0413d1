"""The `taitotaso` command: the argument parser and :func:`main`. Each command group's
commands live in a module of this package (``db``, ``items``, ``simulate``, ``calibrate``,
``serve``, ``score``, ``staff``; ``common`` holds what they share)."""
from __future__ import annotations

import argparse
import os

from .calibrate import cmd_calibrate, cmd_validity_report
from .db import cmd_db_seed, cmd_db_upgrade, cmd_library_seed
from .items import cmd_items_coverage, cmd_items_export, cmd_items_export_qti, cmd_items_import_qti
from .score import (cmd_fit_writing, cmd_recordings_purge, cmd_score_speech,
                    cmd_score_writing)
from .serve import cmd_serve, cmd_worker
from .simulate import cmd_simulate
from .staff import cmd_staff_add


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="taitotaso", description="Taitotaso: adaptive Finnish tests")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the whole suite (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--seed", action="store_true", help="seed the item bank before serving")
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--service", choices=("testing", "scoring", "results", "authoring", "library"),
                       help="serve one service alone; it finds the others through configuration "
                            "(TAITOTASO_SCORING_URL...). Without it: the whole suite in one process")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema and content")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="apply Alembic migrations").set_defaults(func=cmd_db_upgrade)
    seed = dbsub.add_parser("seed", help="load item_bank/content into the database (changed content "
                                         "becomes new versions; items made in the authoring service stay)")
    seed.add_argument("--if-empty", action="store_true", help="only when the bank has no items yet")
    seed.add_argument("--prune", action="store_true",
                      help="also retire live items that are not in the content files")
    seed.set_defaults(func=cmd_db_seed)

    library = sub.add_parser("library", help="the Katso material library")
    lsub = library.add_subparsers(dest="library_command", required=True)
    lsub.add_parser("seed", help="add the seed material the database lacks (edits by curators stay)"
                    ).set_defaults(func=cmd_library_seed)

    items = sub.add_parser("items", help="the item bank")
    isub = items.add_subparsers(dest="items_command", required=True)
    export = isub.add_parser("export", help="print the live items as JSON lines")
    export.add_argument("--with-keys", action="store_true", help="include the answer keys")
    export.set_defaults(func=cmd_items_export)
    qx = isub.add_parser("export-qti", help="write items as an IMS QTI 3.0 package (zip)")
    qx.add_argument("path")
    qx.add_argument("--status", default="live", choices=["live", "reviewed", "draft", "retired", "all"])
    qx.set_defaults(func=cmd_items_export_qti)
    qi = isub.add_parser("import-qti", help="read items from an IMS QTI 3.0 package (all or nothing)")
    qi.add_argument("path")
    qi.add_argument("--keep-status", action="store_true",
                    help="keep the package's review status (default: import as drafts)")
    qi.set_defaults(func=cmd_items_import_qti)
    cov = isub.add_parser("coverage", help="the skill x level table of the live item content (Markdown)")
    cov.add_argument("--readme", help="rewrite the table between the coverage markers of this file")
    cov.set_defaults(func=cmd_items_coverage)

    sim = sub.add_parser("simulate", help="seeded simulations of adaptive tests")
    sim.add_argument("--bank", default="seed", help="'seed' (the item content) or 'synthetic:N'")
    sim.add_argument("--examinees", type=int, default=1000)
    sim.add_argument("--rule", choices=["flags", "production"], default="flags",
                     help="the stopping rule: 'production' (assessment/data/stopping.json, the one the "
                          "testing service uses) or 'flags' (made of --min-items, --max-items, "
                          "--sem-target and --cefr-stop; the default)")
    sim.add_argument("--max-items", type=int, default=None, help="stop at this many items (default: 20)")
    sim.add_argument("--min-items", type=int, default=None,
                     help="never stop before this many items (default: --max-items, a fixed length)")
    sim.add_argument("--sem-target", type=float, default=None, help="stop when the SEM is this small")
    sim.add_argument("--cefr-stop", action="store_true",
                     help="stop when the 95%% interval lies inside one CEFR band")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--truth", default="engine",
                     help="parameters the simulees answer from: 'engine' (the engine's own) or "
                          "'perturbed:b_sd=0.5,a_logsd=0.3,shift=0.5' (difficulties moved by "
                          "N(0, b_sd) + shift, discriminations times lognormal(0, a_logsd); seeded)")
    sim.add_argument("--randomesque", type=int, default=2, help="exposure control: pick among the k best")
    sim.add_argument("--max-exposure", type=float, default=0.25,
                     help="exposure control: leave out items shown to more than this share of tests")
    sim.add_argument("--no-exposure-control", action="store_true")
    sim.add_argument("--json", action="store_true")
    sim.add_argument("--progress", action="store_true", help="show progress also with --json")
    loop = sim.add_argument_group("the calibration loop through the testing service")
    loop.add_argument("--recalibrate-after", type=int, default=None, metavar="N",
                      help="N simulated job seekers take tests through the testing service, then "
                           "calibrate --apply publishes a new bank version; prints before, after and "
                           "oracle for --examinees evaluation simulees (needs --bank seed)")
    loop.add_argument("--anchors", type=float, default=0.2,
                      help="share of items trusted (truth = their parameters) that anchor the scale")
    loop.add_argument("--pretest", type=float, default=0.05, help="share of items given as pretest items")
    loop.add_argument("--population-mean", type=float, default=0.0,
                      help="mean ability of the simulated job seekers")
    loop.add_argument("--calibration-mode", choices=["free", "anchored"], default=None,
                      help="default: anchored when --anchors > 0")
    loop.add_argument("--calibrate-min-n", type=int, default=100,
                      help="apply estimates of items with at least this many answers")
    loop.add_argument("--workers", type=int, default=1, help="processes taking tests at once")
    sim.set_defaults(func=cmd_simulate)

    cal = sub.add_parser("calibrate", help="estimate item parameters from the answers of finished tests")
    cal.add_argument("--mode", choices=["free", "anchored"], default=None,
                     help="free: estimate all; anchored: keep calibrated live items fixed "
                          "(default: anchored once live items have been calibrated)")
    cal.add_argument("--min-n", type=int, default=100, help="apply only items with this many answers")
    cal.add_argument("--apply", action="store_true", help="write the estimates into the item bank")
    cal.add_argument("--json", action="store_true")
    cal.set_defaults(func=cmd_calibrate)

    validity = sub.add_parser("validity", help="validity monitoring for admins")
    vsub = validity.add_subparsers(dest="validity_command", required=True)
    vrep = vsub.add_parser("report", help="machine vs coach agreement, the latest calibration's flags, "
                                          "exposure, test length, SEM, provisional items")
    vrep.add_argument("--json", action="store_true")
    vrep.set_defaults(func=cmd_validity_report)

    score = sub.add_parser("score", help="score an answer and print the JSON")
    scsub = score.add_subparsers(dest="score_command", required=True)
    sw = scsub.add_parser("writing", help="a written answer: CEFR level, sub-scores, confidence, feedback")
    sw.add_argument("file", nargs="?", help="the answer as a UTF-8 text file")
    sw.add_argument("--jsonl", help='many answers: a file of JSON lines {"id", "prompt_text" or '
                                    '"task_id", "text"} (- for standard input); prints one JSON line each')
    sw.add_argument("--prompt-text", help="the task's prompt")
    sw.add_argument("--task", help="or the id of a writing task in the item bank")
    sw.set_defaults(func=cmd_score_writing)
    ss = scsub.add_parser("speech", help="a recording: transcript, CEFR level, fluency, read-aloud accuracy")
    ss.add_argument("file", help="the recording (WAV, MP3, Ogg, WebM, M4A; at most 120 s)")
    ss.add_argument("--reference-text", help="read-aloud: the text that was read")
    ss.add_argument("--prompt-text", help="open speaking: the task that was answered")
    ss.add_argument("--item", help="or the id of a read_aloud or speaking_prompt item in the bank")
    ss.add_argument("--engine", default=os.environ.get("TAITOTASO_ASR_ENGINE") or "faster-whisper",
                    choices=("faster-whisper", "speechbrain"))
    ss.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    ss.add_argument("--no-forced-decoding", action="store_true",
                    help="read-aloud accuracy from the transcript alone")
    ss.set_defaults(func=cmd_score_speech)

    fitp = sub.add_parser("fit", help="fit a scoring model")
    fsub = fitp.add_subparsers(dest="fit_command", required=True)
    fw = fsub.add_parser("writing-model", help="fit the writing level model on a CSV of rated texts")
    fw.add_argument("csv")
    fw.add_argument("--heldout", help="a CSV never fitted on: agreement is reported on it")
    fw.add_argument("--alpha", type=float, default=5.0, help="ridge penalty")
    fw.add_argument("--out", default="scoring/data/writing_model.json")
    fw.set_defaults(func=cmd_fit_writing)

    staff = sub.add_parser("staff", help="staff accounts: authors, reviewers, coaches, curators, panelists, admins")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help="add a staff member: author, reviewer, coach, curator, panelist or admin")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, action="append",
                     help="author, reviewer, coach, curator (Katso material), panelist (standard setting) or admin; repeat (or separate with commas) "
                          "for several, e.g. --role coach --role admin")
    add.add_argument("--password", help="at least 10 characters; without it one is made and printed once")
    add.set_defaults(func=cmd_staff_add)

    rec = sub.add_parser("recordings", help="spoken answers' recordings and transcripts")
    rsub = rec.add_subparsers(dest="recordings_command", required=True)
    purge = rsub.add_parser("purge", help="delete recordings and transcripts older than the "
                                          "retention period (TAITOTASO_RECORDING_RETENTION_DAYS)")
    purge.add_argument("--days", type=int, help="this period instead of the configured one")
    purge.set_defaults(func=cmd_recordings_purge)

    worker = sub.add_parser("worker", help="run queued jobs from Redis (production)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0
