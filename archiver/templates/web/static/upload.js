/* Upload page: each chosen or dropped file is sent on its own (POST /api/v1/documents) so that it has
   its own progress bar; the job id that comes back is kept in localStorage, so the list and the live
   states survive a reload; states are polled from /api/v1/jobs until every file is final. */
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
    var target = job.state === "duplicate" && job.duplicate_of ? job.duplicate_of : job.document_id;
    if (target) {
      cell.appendChild(document.createTextNode(" "));
      var link = document.createElement("a");
      link.href = "/documents/" + job.document_id;
      link.textContent = job.state === "duplicate" ? "#" + target : "#" + job.document_id;
      link.className = "doc-link";
      cell.appendChild(link);
    }
    if (job.message && job.state !== "stored") {
      var msg = document.createElement("div"); msg.className = "muted reason"; msg.textContent = job.message;
      cell.appendChild(msg);
    }
  }

  function fail(tr, text) {
    tr.setAttribute("data-state", "failed");
    var cell = tr.querySelector(".state");
    cell.textContent = "";
    var badge = document.createElement("span");
    badge.className = "state-badge state-failed"; badge.textContent = labels.failed;
    var msg = document.createElement("div"); msg.className = "muted reason"; msg.textContent = text;
    cell.appendChild(badge); cell.appendChild(msg);
  }

  function poll() {
    var list = load().filter(function (u) { return u.id && !FINAL[u.state]; });
    if (!list.length) { timer = null; return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/jobs?ids=" + list.map(function (u) { return u.id; }).join(","));
    xhr.onload = function () {
      if (xhr.status === 200) {
        var jobs = JSON.parse(xhr.responseText).jobs, all = load();
        jobs.forEach(function (job) {
          show(row("job" + job.id, job.name), job);
          all.forEach(function (u) { if (u.id === job.id) u.state = job.state; });
        });
        save(all);
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
    var form = new FormData();
    form.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/documents");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: xhr.statusText }; }
      if (xhr.status !== 202) { fail(tr, body.error || ("HTTP " + xhr.status)); return; }
      var job = body.jobs[0];
      tr.id = "up-job" + job.id;
      show(tr, job);
      var all = load(); all.push({ id: job.id, name: job.name, state: job.state }); save(all);
      watch();
    };
    xhr.onerror = function () { fail(tr, "网络错误 Network error"); };
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

  // After a reload: the rows of earlier uploads, then their live states.
  load().forEach(function (u) { var tr = row("job" + u.id, u.name); if (u.state) show(tr, u); });
  empty.hidden = rows.children.length > 0;
  poll();
})();
