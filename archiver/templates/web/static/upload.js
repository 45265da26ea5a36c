/* Upload page: each chosen or dropped file is sent on its own (POST /api/v1/documents) so that it has
   its own progress bar; each row (job id, name, state, document, duplicate of, reason) is kept in
   localStorage, so the list and what became of each file survive a reload; states are polled from
   /api/v1/jobs until every file is final. */
(function () {
  "use strict";
  var KEY = "archiver.uploads";
  var FINAL = { stored: 1, duplicate: 1, failed: 1 };
  var labels = JSON.parse(document.getElementById("state-labels").textContent);
  var rows = document.getElementById("upload-rows");
  var empty = document.getElementById("no-uploads");
  var input = document.getElementById("file-input");
  var zone = document.getElementById("upload-form");
  var timer = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(list) { localStorage.setItem(KEY, JSON.stringify(list.slice(-200))); }
  function keyOf(u) { return u.key || "job" + u.id; }

  // Keep what the row of `key` shows, in its place (the list's order is the order the files were sent);
  // once the server has given it a job, the row is known by the job's id.
  function remember(key, job) {
    var entry = { key: job.id ? "job" + job.id : key, id: job.id || null, name: job.name, state: job.state,
                  document_id: job.document_id || null, duplicate_of: job.duplicate_of || null,
                  message: job.message || "" };
    var all = load(), i = 0;
    while (i < all.length && keyOf(all[i]) !== key) i++;
    all[i] = entry;
    save(all);
  }

  function row(key, name) {
    var tr = document.getElementById("up-" + key);
    if (tr) return tr;
    tr = document.createElement("tr");
    tr.id = "up-" + key;
    tr.className = "upload";
    var a = document.createElement("td"); a.className = "name"; a.textContent = name;
    var b = document.createElement("td");
    var bar = document.createElement("progress"); bar.max = 100; bar.value = 0; b.appendChild(bar);
    var c = document.createElement("td"); c.className = "state";
    tr.appendChild(a); tr.appendChild(b); tr.appendChild(c);
    rows.insertBefore(tr, rows.firstChild);
    empty.hidden = true;
    return tr;
  }

  function show(tr, job) {
    var cell = tr.querySelector(".state");
    tr.setAttribute("data-state", job.state);
    tr.querySelector("progress").value = 100;
    cell.textContent = "";
    var badge = document.createElement("span");
    badge.className = "state-badge state-" + job.state;
    badge.textContent = labels[job.state] || job.state;
    cell.appendChild(badge);
    // The document this file is (stored, or archived already); a near-duplicate also names the older one.
    if (job.document_id) link(cell, "doc-link", job.document_id, "#" + job.document_id);
    if (job.duplicate_of) link(cell, "dup-link", job.duplicate_of, "≈ #" + job.duplicate_of);
    if (job.message && job.state !== "stored") {
      var msg = document.createElement("div"); msg.className = "muted reason"; msg.textContent = job.message;
      cell.appendChild(msg);
    }
  }

  function link(cell, className, id, text) {
    var a = document.createElement("a");
    a.className = className; a.href = "/documents/" + id; a.textContent = text;
    cell.appendChild(document.createTextNode(" "));
    cell.appendChild(a);
  }

  // An upload the server refused (or that never reached it): a failed row with no job.
  function fail(key, tr, name, text) {
    var job = { name: name, state: "failed", message: text };
    show(tr, job);
    remember(key, job);
  }

  function poll() {
    var list = load().filter(function (u) { return u.id && !FINAL[u.state]; });
    if (!list.length) { timer = null; return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/jobs?ids=" + list.map(function (u) { return u.id; }).join(","));
    xhr.onload = function () {
      if (xhr.status === 200) {
        JSON.parse(xhr.responseText).jobs.forEach(function (job) {
          show(row("job" + job.id, job.name), job);
          remember("job" + job.id, job);
        });
      }
      timer = setTimeout(poll, 1500);
    };
    xhr.onerror = function () { timer = setTimeout(poll, 3000); };
    xhr.send();
  }

  function watch() { if (!timer) timer = setTimeout(poll, 500); }

  function send(file) {
    var key = "new" + Date.now() + Math.random().toString(36).slice(2);
    var tr = row(key, file.name);
    var bar = tr.querySelector("progress");
    tr.querySelector(".state").textContent = "上传中 Uploading";
    remember(key, { name: file.name, state: "uploading" });
    var form = new FormData();
    form.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/documents");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: xhr.statusText }; }
      if (xhr.status !== 202) { fail(key, tr, file.name, body.error || ("HTTP " + xhr.status)); return; }
      var job = body.jobs[0];
      tr.id = "up-job" + job.id;
      show(tr, job);
      remember(key, job);
      watch();
    };
    xhr.onerror = function () { fail(key, tr, file.name, "网络错误 Network error"); };
    xhr.send(form);
  }

  function take(files) { for (var i = 0; i < files.length; i++) send(files[i]); }

  input.addEventListener("change", function () { take(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files) take(e.dataTransfer.files); });
  document.getElementById("clear-done").addEventListener("click", function () {
    save(load().filter(function (u) { return !FINAL[u.state]; }));
    Array.prototype.slice.call(rows.querySelectorAll("tr")).forEach(function (tr) {
      if (FINAL[tr.getAttribute("data-state")]) tr.remove();
    });
    empty.hidden = rows.children.length > 0;
  });

  // After a reload: the rows of earlier uploads, then their live states. One still "uploading" was cut
  // off by leaving the page: the server never took it.
  load().forEach(function (u) {
    var key = keyOf(u), tr = row(key, u.name);
    if (u.state === "uploading") fail(key, tr, u.name, "上传被中断 The upload was cut off (the page was left)");
    else show(tr, u);
  });
  empty.hidden = rows.children.length > 0;
  poll();
})();
