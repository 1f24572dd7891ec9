// Uploading a large spreadsheet takes a while on a county office's line: show how much of the
// file has been sent, then that the server is checking every row. Without JavaScript the form
// posts as usual; with it, the answer page replaces this one just as a normal post would.
"use strict";

function bindUploadProgress(root) {
  root.querySelectorAll("form[data-progress]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
      event.preventDefault();
      const box = form.querySelector(".upload-progress");
      const bar = box.querySelector("progress");
      const status = box.querySelector("[data-status]");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      box.hidden = false;

      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        const percent = Math.round((100 * e.loaded) / e.total);
        bar.value = percent;
        status.textContent = form.dataset.uploading.replace("{percent}", percent);
      });
      request.upload.addEventListener("load", () => {
        bar.removeAttribute("value"); // indeterminate while the rows are checked
        status.textContent = form.dataset.checking;
      });
      request.addEventListener("load", () => {
        const page = new DOMParser().parseFromString(request.responseText, "text/html");
        document.title = page.title;
        document.body.replaceWith(page.body);
        bindUploadProgress(document);
      });
      request.addEventListener("error", () => {
        status.textContent = form.dataset.failed;
        button.disabled = false;
      });
      request.send(new FormData(form));
    });
  });
}

bindUploadProgress(document);
