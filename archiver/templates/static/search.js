/* Offline full-text search over window.ARCHIVE_INDEX (search-index.js), for file:// and servers.
   Entry: [id, title, type, year, date, [[page, line, line, ...], ...]]. Substring matching, so a
   Chinese query of any length works without word segmentation. Results are built with DOM text
   nodes only: no index text is ever parsed as HTML. */
(function () {
  "use strict";
  var PAGE_SIZE = 50, SNIPPETS = 3, CONTEXT = 28, UNKNOWN_TYPE = "__unknown__";
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var typeSel = document.getElementById("type-filter");
  var yearSel = document.getElementById("year-filter");
  var status = document.getElementById("search-status");
  var list = document.getElementById("results");
  var index = window.ARCHIVE_INDEX;
  var shown = PAGE_SIZE, timer = null, last = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function setStatus(text) { status.textContent = text; }

  function haystack(doc) {
    if (doc._hay === undefined) {
      var parts = [doc[1] || ""];
      doc[5].forEach(function (page) { parts.push(page.slice(1).join("\n")); });
      doc._hay = parts.join("\n").toLowerCase();
    }
    return doc._hay;
  }

  /* Append text to parent with every occurrence of any term wrapped in <mark>. */
  function appendMarked(parent, text, terms) {
    var lower = text.toLowerCase();
    if (lower.length !== text.length) lower = text; // rare case-mapping that changes length
    var pos = 0;
    while (pos < text.length) {
      var best = -1, bestLen = 0;
      terms.forEach(function (t) {
        var i = lower.indexOf(t, pos);
        if (i !== -1 && (best === -1 || i < best || (i === best && t.length > bestLen))) { best = i; bestLen = t.length; }
      });
      if (best === -1) break;
      if (best > pos) parent.appendChild(document.createTextNode(text.slice(pos, best)));
      parent.appendChild(el("mark", null, text.slice(best, best + bestLen)));
      pos = best + bestLen;
    }
    if (pos < text.length) parent.appendChild(document.createTextNode(text.slice(pos)));
  }

  function snippetText(text, terms) {
    var lower = text.toLowerCase(), first = text.length;
    terms.forEach(function (t) { var i = lower.indexOf(t); if (i !== -1 && i < first) first = i; });
    var start = Math.max(0, first - CONTEXT), end = Math.min(text.length, first + CONTEXT * 2);
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  function docUrl(id, page, line) {
    return "doc/" + id + ".html" + (page ? "#L" + page + "-" + line : "");
  }

  function search(query, type, year) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return null;
    var results = [];
    index.docs.forEach(function (doc) {
      if (type && (type === UNKNOWN_TYPE ? doc[2] !== null : doc[2] !== type)) return;
      if (year && String(doc[3] === null ? "unknown" : doc[3]) !== year) return;
      var hay = haystack(doc);
      for (var k = 0; k < terms.length; k++) if (hay.indexOf(terms[k]) === -1) return;
      var hits = [], count = 0;
      doc[5].forEach(function (page) {
        for (var n = 1; n < page.length; n++) {
          var low = page[n].toLowerCase();
          if (terms.some(function (t) { return low.indexOf(t) !== -1; })) {
            count++;
            if (hits.length < SNIPPETS) hits.push({ page: page[0], line: n, text: page[n] });
          }
        }
      });
      var titleLow = (doc[1] || "").toLowerCase();
      var inTitle = terms.every(function (t) { return titleLow.indexOf(t) !== -1; });
      results.push({ doc: doc, hits: hits, count: count, score: (inTitle ? 1000 : 0) + count });
    });
    results.sort(function (a, b) { return b.score - a.score || b.doc[0] - a.doc[0]; });
    return { terms: terms, results: results };
  }

  function render(found) {
    list.textContent = "";
    if (!found) { setStatus("请输入检索词。Type a word or phrase to search " + index.docs.length + " documents."); return; }
    var results = found.results, terms = found.terms;
    if (!results.length) { setStatus("没有找到匹配的文件。No documents match."); return; }
    setStatus("找到 " + results.length + " 件文件 " + results.length + " documents found" +
              (results.length > shown ? "，显示前 " + shown + " 件 (showing " + shown + ")" : ""));
    results.slice(0, shown).forEach(function (r) {
      var doc = r.doc, first = r.hits[0];
      var item = el("li", "result");
      item.setAttribute("data-doc", doc[0]);
      var title = el("a", "result-title");
      title.href = first ? docUrl(doc[0], first.page, first.line) : docUrl(doc[0]);
      appendMarked(title, doc[1] || "", terms);
      item.appendChild(title);
      var meta = [doc[2] || "未识别文种", doc[4] || (doc[3] != null ? String(doc[3]) : "日期不详"), "#" + doc[0]];
      if (r.count) meta.push(r.count + " 处命中 hits");
      item.appendChild(el("div", "result-meta", meta.join(" · ")));
      r.hits.forEach(function (h) {
        var p = el("p", "snippet");
        var a = el("a", "snippet-link");
        a.href = docUrl(doc[0], h.page, h.line);
        appendMarked(a, snippetText(h.text, terms), terms);
        p.appendChild(a);
        p.appendChild(el("span", "loc", "第 " + h.page + " 页 第 " + h.line + " 行"));
        item.appendChild(p);
      });
      list.appendChild(item);
    });
    if (results.length > shown) {
      var more = el("button", "more-results", "显示更多 Show more");
      more.type = "button";
      more.addEventListener("click", function () { shown += PAGE_SIZE; render(last); });
      var li = el("li", "more"); li.appendChild(more); list.appendChild(li);
    }
  }

  function run() {
    shown = PAGE_SIZE;
    last = search(input.value, typeSel.value, yearSel.value);
    render(last);
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    if (typeSel.value) params.set("type", typeSel.value);
    if (yearSel.value) params.set("year", yearSel.value);
    var qs = params.toString();
    try { history.replaceState(null, "", qs ? "?" + qs : location.pathname); } catch (e) { /* file:// may refuse */ }
  }

  if (!index || !index.docs) {
    setStatus("检索索引未找到 (search-index.js)。请重新生成站点。The search index is missing: rebuild the site.");
    return;
  }
  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  if (params.get("type")) typeSel.value = params.get("type");
  if (params.get("year")) yearSel.value = params.get("year");
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(); });
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  typeSel.addEventListener("change", run);
  yearSel.addEventListener("change", run);
  run();
})();
