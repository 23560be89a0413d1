/* The speaking part: a recorder for the speaking page, and polling of the spoken answers'
   scores on the result page. Plain JavaScript, no build step. Without JavaScript, or
   without a microphone, the speaking page's form sends an audio file instead, and the
   result page shows the scores when it is reloaded. */
(function () {
  "use strict";

  var MAX_BYTES = 10 * 1024 * 1024;
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm",
               "audio/mp4", "audio/ogg"];

  function $(id) { return document.getElementById(id); }

  function pickType() {
    if (!window.MediaRecorder || typeof MediaRecorder.isTypeSupported !== "function") return "";
    for (var i = 0; i < TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";  // the browser's own default
  }

  function extension(type) {
    if (type.indexOf("webm") >= 0) return "webm";
    if (type.indexOf("ogg") >= 0) return "ogg";
    if (type.indexOf("mp4") >= 0 || type.indexOf("aac") >= 0) return "m4a";
    if (type.indexOf("wav") >= 0) return "wav";
    return "audio";
  }

  /* ---------------------------------------------------------------- the recorder */
  function setUpRecorder(form) {
    var msg = form.dataset;
    var maxSeconds = parseInt(msg.maxSeconds, 10) || 120;
    var prepSeconds = parseInt(msg.prepSeconds, 10) || 0;
    var recorderBox = $("recorder"), fileBox = $("file-answer"), fileInput = $("audio");
    var recordBtn = $("record"), stopBtn = $("stop"), sendBtn = $("send");
    var left = $("seconds-left"), meter = $("mic-level"), status = $("rec-status");
    var alertBox = $("upload-error"), playback = $("playback");
    var recordLabel = recordBtn.textContent;

    var stream = null, recorder = null, chunks = [], blob = null, type = "";
    var audioCtx = null, analyser = null, levelFrame = 0;
    var timer = 0, endsAt = 0, prepTimer = 0, sending = false, stopped = Promise.resolve(null);

    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder)) {
      return;  // no recorder in this browser: the file field stays
    }
    recorderBox.hidden = false;
    fileBox.hidden = true;

    function say(text) { status.textContent = text; }
    function showError(text) {
      alertBox.textContent = text;
      fileInput.setAttribute("aria-describedby", "file-help upload-error");
    }
    function clearError() { alertBox.textContent = ""; }

    function useFileInstead(text) {
      showError(text);
      fileBox.hidden = false;
      recordBtn.disabled = false;
      stopBtn.disabled = true;
    }

    function getStream() {
      if (stream) return Promise.resolve(stream);
      return navigator.mediaDevices.getUserMedia({ audio: true, video: false }).then(function (s) {
        stream = s;
        startMeter(s);
        return s;
      });
    }

    function startMeter(s) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      try {
        audioCtx = new Ctx();
        analyser = audioCtx.createAnalyser();
        analyser.fftSize = 1024;
        audioCtx.createMediaStreamSource(s).connect(analyser);
        if (audioCtx.state === "suspended") audioCtx.resume();
      } catch (e) {
        analyser = null;
        return;
      }
      var data = new Float32Array(analyser.fftSize);
      var shown = 0;
      (function draw() {
        analyser.getFloatTimeDomainData(data);
        var sum = 0;
        for (var i = 0; i < data.length; i++) sum += data[i] * data[i];
        var rms = Math.sqrt(sum / data.length);
        // about -50 dBFS … 0 dBFS onto 0 … 1, falling back slowly so that it can be read
        var level = Math.max(0, Math.min(1, (20 * Math.log10(rms + 1e-9) + 50) / 50));
        shown = level > shown ? level : shown * 0.9 + level * 0.1;
        meter.value = shown;
        levelFrame = window.requestAnimationFrame(draw);
      })();
    }

    function stopPrep() {
      if (prepTimer) { window.clearInterval(prepTimer); prepTimer = 0; }
      var prep = $("prep");
      if (prep) prep.hidden = true;
    }

    function startPrep() {
      var prep = $("prep"), prepLeft = $("prep-left");
      if (!prep || prepSeconds <= 0) return;
      var until = Date.now() + prepSeconds * 1000;
      prep.hidden = false;
      prepTimer = window.setInterval(function () {
        var s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
        prepLeft.textContent = s;
        if (s <= 0) {
          stopPrep();
          say(msg.msgPrepOver);
          start();
        }
      }, 250);
    }

    function tick() {
      var s = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
      if (String(s) !== left.textContent) {
        left.textContent = s;
        if (s === 10) say(msg.msgTenLeft);
      }
      if (s <= 0) stop(true);
    }

    function start() {
      if (recorder && recorder.state === "recording") return;
      stopPrep();
      clearError();
      recordBtn.disabled = true;
      getStream().then(function (s) {
        type = pickType();
        try {
          recorder = type ? new MediaRecorder(s, { mimeType: type }) : new MediaRecorder(s);
        } catch (e) {
          recorder = new MediaRecorder(s);
        }
        type = recorder.mimeType || type || "audio/webm";
        chunks = [];
        blob = null;
        recorder.ondataavailable = function (ev) { if (ev.data && ev.data.size) chunks.push(ev.data); };
        stopped = new Promise(function (resolve) {
          recorder.onstop = function () {
            blob = new Blob(chunks, { type: type });
            playback.src = URL.createObjectURL(blob);
            playback.hidden = false;
            resolve(blob);
          };
        });
        recorder.start(1000);
        endsAt = Date.now() + maxSeconds * 1000;
        left.textContent = maxSeconds;
        timer = window.setInterval(tick, 250);
        playback.hidden = true;
        stopBtn.disabled = false;
        stopBtn.focus();
        form.classList.add("recording");
        say(msg.msgRecording);
      }).catch(function () {
        useFileInstead(msg.msgNoMic);
      });
    }

    function stop(timeUp) {
      if (!recorder || recorder.state !== "recording") return;
      window.clearInterval(timer);
      recorder.stop();
      form.classList.remove("recording");
      stopBtn.disabled = true;
      recordBtn.disabled = false;
      recordBtn.textContent = msg.msgRecordAgain || recordLabel;
      say(timeUp === true ? msg.msgTimeUp + " " + msg.msgStopped : msg.msgStopped);
      sendBtn.focus();
    }

    recordBtn.addEventListener("click", start);
    stopBtn.addEventListener("click", function () { stop(false); });

    function send(file) {
      var body = new FormData(form);
      if (blob) body.set("audio", blob, "answer." + extension(type));
      var size = blob ? blob.size : file.size;
      if (size > MAX_BYTES) { showError(msg.msgTooLarge); return; }
      sending = true;
      sendBtn.disabled = true;
      clearError();
      say(msg.msgSending);
      window.fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.ok && data.next) {  // sent: on at once, the scoring goes on without us
            if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
            window.location.assign(data.next);
            return;
          }
          throw new Error(data.message || msg.msgNetwork);
        });
      }).catch(function (err) {
        sending = false;
        sendBtn.disabled = false;
        say("");
        showError(err && err.message ? err.message : msg.msgNetwork);
        recordBtn.disabled = false;
        recordBtn.focus();
      });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (sending) return;
      var file = fileInput.files && fileInput.files[0];
      if (recorder && recorder.state === "recording") {
        stop(false);
        stopped.then(function () { send(file); });
        return;
      }
      if (!blob && !file && recorder && stopped) {
        // stopped a moment ago: the recording is being finished (onstop comes after stop())
        sending = true;
        stopped.then(function () { send(file); });
        return;
      }
      if (!blob && !file) {
        showError(msg.msgNothing);
        return;
      }
      send(file);
    });

    window.addEventListener("pagehide", function () {
      if (levelFrame) window.cancelAnimationFrame(levelFrame);
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    });

    startPrep();
  }

  /* ---------------------------------------------------------------- the result page */
  function setUpPolling(section) {
    if (section.dataset.finished === "true" || !window.fetch) return;
    var url = section.dataset.statusUrl;

    function poll() {
      window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) {
          (data.jobs || []).forEach(function (job) {
            var el = document.getElementById("job-" + job.id);
            if (!el) return;
            if (el.dataset.status === job.status && (job.status === "queued" || job.status === "running")) {
              // the same step: move the bar and name the stage, without re-announcing everything
              var bar = el.querySelector("progress"), stage = el.querySelector(".stage");
              if (bar) bar.value = job.progress;
              if (stage && stage.textContent !== job.stage_text + "…") stage.textContent = job.stage_text + "…";
            } else {
              el.outerHTML = job.html;
            }
          });
          if (data.finished) {
            section.dataset.finished = "true";
          } else {
            window.setTimeout(poll, 2000);
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 2000);
  }

  function init() {
    var form = $("speaking-form");
    if (form) setUpRecorder(form);
    var section = $("speaking-results");
    if (section) setUpPolling(section);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
