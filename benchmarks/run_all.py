"""`make bench`: every benchmark, one after the other."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("simulate.py", "test_design.py", "live_kind_share.py", "calibration.py", "calibration_loop.py", "writing.py", "writing_trust.py", "load_sessions.py", "separate_services.py", "speech.py",
               "speech_scoring.py", "speech_queue.py", "openapi_fuzz.py"):
    print(f"\n== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
