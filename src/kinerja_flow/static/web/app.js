// kinerja-flow: the little the pages need beyond htmx (everything works without it).
// Upload progress: a <progress data-upload-progress> inside a form shows how much was sent.
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target.closest ? event.target.closest("form") : null;
  var bar = form ? form.querySelector("progress[data-upload-progress]") : null;
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});
// Move the focus to the page's heading after htmx swapped the page, for screen readers.
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.boosted) {
    var heading = document.querySelector("main h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
});
