// Copy the new share link: the button of share_created.html
(function () {
  var button = document.getElementById("copy-link");
  var field = document.getElementById("share-link");
  var status = document.getElementById("copy-status");
  if (!button || !field) return;
  button.addEventListener("click", function () {
    field.select();
    var done = function () { status.textContent = button.getAttribute("data-copied"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy"); done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
