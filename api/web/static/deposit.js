// Nộp lưu: a drop zone of our own and one request per file with its progress bar and outcome.
// Without this script the form posts every file at once (api/web/deposit.py); with it each file
// goes to the same POST /deposit (Accept: application/json), one after the other, and a new
// dossier is created first through POST /deposit/dossier. No inline script: CSP script-src 'self'.
(function () {
  "use strict";

  function init(root) {
    var form = (root || document).querySelector ? (root || document).querySelector("#deposit-form") : null;
    if (!form && root && root.id === "deposit-form") { form = root; }
    if (!form || form.dataset.ready === "1" || !window.FormData || !window.XMLHttpRequest) { return; }
    form.dataset.ready = "1";
    var zone = form.querySelector("#dropzone");
    var input = form.querySelector("#files");
    var list = document.getElementById("file-list");
    var words = zone.dataset;
    var chosen = [];
    var busy = false;

    zone.classList.add("active");
    zone.querySelector(".drop-hint").hidden = false;
    input.required = false;

    function show() {
      list.textContent = "";
      list.hidden = chosen.length === 0;
      chosen.forEach(function (item, i) {
        var li = document.createElement("li");
        li.className = "file-item";
        li.dataset.filename = item.file.name;
        var name = document.createElement("strong");
        name.textContent = item.file.name;
        li.appendChild(name);
        var bar = document.createElement("progress");
        bar.max = 100;
        bar.value = item.progress;
        bar.setAttribute("aria-label", item.file.name);
        li.appendChild(bar);
        var state = document.createElement("span");
        state.className = "file-state";
        li.appendChild(state);
        if (item.outcome) {
          li.dataset.outcome = item.outcome.outcome;
          li.classList.add("outcome-" + item.outcome.outcome);
          state.textContent = item.outcome.words + (item.outcome.message_vi ? " — " + item.outcome.message_vi : "");
          if (item.outcome.record_id) {
            var a = document.createElement("a");
            a.href = "/records/" + item.outcome.record_id;
            a.textContent = words.open;
            state.appendChild(document.createTextNode(" — "));
            state.appendChild(a);
          }
        } else if (item.failed) {
          li.dataset.outcome = "failed";
          state.textContent = item.failed;
        } else {
          state.textContent = item.sending ? words.sending : words.waiting;
          if (!busy) {
            var remove = document.createElement("button");
            remove.type = "button";
            remove.className = "link-button";
            remove.textContent = words.remove;
            remove.addEventListener("click", function () { chosen.splice(i, 1); show(); });
            state.appendChild(document.createTextNode(" "));
            state.appendChild(remove);
          }
        }
        list.appendChild(li);
      });
    }

    function add(files) {
      if (busy) { return; }
      for (var i = 0; i < files.length; i++) { chosen.push({file: files[i], progress: 0}); }
      show();
    }

    function message(text) {
      var p = document.getElementById("deposit-error");
      if (!p) {
        p = document.createElement("p");
        p.id = "deposit-error";
        p.className = "error";
        p.setAttribute("role", "alert");
        form.parentNode.insertBefore(p, form);
      }
      p.textContent = text;
      p.hidden = !text;
    }

    var box = form.querySelector("#new_dossier");
    var newFields = form.querySelector("#new-dossier-fields");
    if (box && newFields) {  // the new dossier's fields only when asked for (all shown without script)
      var toggle = function () { newFields.hidden = !box.checked; };
      box.addEventListener("change", toggle);
      toggle();
    }
    input.addEventListener("change", function () { add(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files) { add(e.dataTransfer.files); }
    });

    function fields() {
      var data = new FormData(form);
      data.delete("files");
      data.delete("new_dossier");
      return data;
    }

    function send(item) {
      return new Promise(function (resolve) {
        var data = fields();
        data.append("files", item.file, item.file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("Accept", "application/json");
        item.sending = true;
        show();
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) {
            item.progress = Math.round(99 * e.loaded / e.total);
            var bars = list.querySelectorAll("progress");
            var at = chosen.indexOf(item);
            if (bars[at]) { bars[at].value = item.progress; }
          }
        });
        xhr.addEventListener("load", function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
          if (body && body.outcomes && body.outcomes.length) {
            item.outcome = body.outcomes[0];
            item.progress = 100;
          } else {
            item.failed = (body && body.error) || words.failed;
          }
          resolve();
        });
        xhr.addEventListener("error", function () { item.failed = words.failed; resolve(); });
        xhr.send(data);
      });
    }

    function newDossier() {
      var box = form.querySelector("#new_dossier");
      if (!box || !box.checked) { return Promise.resolve(true); }
      var data = new FormData(form);
      data.delete("files");
      return fetch("/deposit/dossier", {method: "POST", body: data, credentials: "same-origin",
                                         headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (res) {
          form.querySelectorAll(".field-error.js").forEach(function (p) { p.remove(); });
          if (!res.ok) {
            var errors = res.body.errors || {};
            Object.keys(errors).forEach(function (name) {
              var field = form.querySelector("[name='nd_" + name + "']");
              var p = document.createElement("p");
              p.className = "field-error js";
              p.id = "err-js-" + name;
              p.textContent = errors[name];
              if (field) {
                field.setAttribute("aria-invalid", "true");
                field.setAttribute("aria-describedby", p.id);
                field.parentNode.insertBefore(p, field.nextSibling);
              }
            });
            message(res.body.error || Object.keys(errors).map(function (k) { return errors[k]; }).join("; "));
            return false;
          }
          form.querySelector("#dossier").value = res.body.code;
          box.checked = false;
          return true;
        });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (busy) { return; }
      var todo = chosen.filter(function (it) { return !it.outcome; });
      if (!todo.length) { message(words.none); return; }
      if (todo.length > Number(form.dataset.max || 50)) { message(words.tooMany); return; }
      message("");
      busy = true;
      newDossier().then(function (ok) {
        if (!ok) { busy = false; show(); return null; }
        return todo.reduce(function (p, item) {
          item.failed = null;
          return p.then(function () { return send(item); }).then(show);
        }, Promise.resolve());
      }).then(function () { busy = false; show(); form.dataset.done = "1"; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
}());
