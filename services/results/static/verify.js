// The verification page: a credential file dropped on the box is read into the text box and
// sent, the same as choosing it; without JavaScript the file field and the text box work alone.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  var form = document.getElementById("verify-form");
  var text = document.getElementById("credential");
  var file = document.getElementById("file");
  if (!zone || !form || !text || !file) { return; }
  function readAndSend(f) {
    if (!f) { return; }
    var reader = new FileReader();
    reader.onload = function () {
      text.value = String(reader.result || "").trim();
      file.value = "";
      form.submit();
    };
    reader.readAsText(f);
  }
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    readAndSend(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
  });
  file.addEventListener("change", function () { readAndSend(file.files && file.files[0]); });
}());
