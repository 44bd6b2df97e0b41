/* newsdesk search: reads the bigram index that newsdesk.site.search writes under /search/.
   A term of n characters matches where its n-1 bigrams stand at consecutive positions,
   so 清远 finds only texts with 清 and 远 side by side. No third-party code, no network
   but this site's own JSON files. Keep in step with src/newsdesk/site/search.py. */
(function () {
  "use strict";

  var MAX_SHOWN = 100;
  var script = document.currentScript;
  var indexUrl = (script && script.getAttribute("data-index")) || "/search/index.json";
  var base = indexUrl.replace(/[^/]*$/, "");
  var cache = new Map();

  function getJson(url) {
    if (!cache.has(url)) {
      cache.set(url, fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.json();
      }));
    }
    return cache.get(url);
  }

  function normalize(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  function queryTerms(query, minTerm) {
    var seen = [];
    var runs = normalize(query).match(/[\p{L}\p{N}]+/gu) || [];
    runs.forEach(function (run) {
      if (seen.indexOf(run) < 0) seen.push(run);
    });
    var all = seen.map(function (t) { return Array.from(t); });
    return { all: all, usable: all.filter(function (t) { return t.length >= minTerm; }) };
  }

  // the bigrams that pin a term down: every other one and the last, with offsets (search.py's cover)
  function cover(chars) {
    var out = [];
    if (chars.length < 2) return out;
    for (var k = 0; k + 1 < chars.length; k += 2) out.push([k, chars[k] + chars[k + 1]]);
    var last = chars.length - 2;
    if (out[out.length - 1][0] !== last) out.push([last, chars[last] + chars[last + 1]]);
    return out;
  }

  // FNV-1a over code points, as search.py's bucket_of
  function bucketOf(gram, buckets) {
    var h = 0x811c9dc5;
    for (var ch of gram) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
    return h % buckets;
  }

  function decode(flat) {
    var out = new Map();
    var i = 0, doc = 0;
    while (i < flat.length) {
      doc += flat[i];
      var count = flat[i + 1];
      var spots = new Set();
      var at = flat[i + 2];
      spots.add(at);
      for (var k = 1; k < count; k++) { at += flat[i + 2 + k]; spots.add(at); }
      out.set(doc, spots);
      i += 2 + count;
    }
    return out;
  }

  function containsTerm(postings, chars) {
    var pinned = cover(chars);
    var lists = pinned.map(function (p) { return postings.get(p[1]); });
    if (!lists.length || lists.some(function (p) { return !p; })) return new Set();
    var hits = new Set();
    lists[0].forEach(function (starts, doc) {
      var later = [];
      for (var i = 1; i < lists.length; i++) {
        var spots = lists[i].get(doc);
        if (!spots) return;
        later.push([pinned[i][0], spots]);
      }
      for (var start of starts) {
        if (later.every(function (p) { return p[1].has(start + p[0]); })) { hits.add(doc); return; }
      }
    });
    return hits;
  }

  async function segmentHits(segment, terms) {
    var grams = new Set();
    terms.forEach(function (t) { cover(t).forEach(function (p) { grams.add(p[1]); }); });
    var wanted = Array.from(grams);
    var parts = await Promise.all(wanted.map(function (g) {
      return getJson(base + segment.dir + "/b" + bucketOf(g, segment.buckets) + ".json");
    }));
    var postings = new Map();
    wanted.forEach(function (g, i) {
      if (parts[i] && Object.prototype.hasOwnProperty.call(parts[i], g)) postings.set(g, decode(parts[i][g]));
    });
    var matched = null;
    for (var t of terms) {
      var found = containsTerm(postings, t);
      matched = matched === null ? found : new Set(Array.from(matched).filter(function (d) { return found.has(d); }));
      if (!matched.size) return [];
    }
    return Array.from(matched || []).sort(function (a, b) { return a - b; });
  }

  async function search(query) {
    var index = await getJson(indexUrl);
    if (!index) throw new Error("no search index yet");
    var terms = queryTerms(query, index.min_term);
    if (!terms.usable.length) return { tooShort: terms.all.length > 0, index: index, hits: [] };
    var perSegment = await Promise.all(index.segments.map(function (s) { return segmentHits(s, terms.usable); }));
    var hits = [];
    index.segments.forEach(function (s, i) {
      perSegment[i].forEach(function (doc) { hits.push({ segment: s, doc: doc }); });
    });
    return { tooShort: false, index: index, hits: hits };
  }

  async function describe(found) {
    var per = found.index.docs_per_chunk;
    var shown = found.hits.slice(0, MAX_SHOWN);
    var chunks = await Promise.all(shown.map(function (h) {
      return getJson(base + h.segment.dir + "/d" + Math.floor(h.doc / per) + ".json");
    }));
    return shown.map(function (h, i) { return chunks[i][h.doc % per]; });
  }

  function render(list, docs) {
    docs.forEach(function (doc) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = doc[0];
      link.textContent = doc[1];
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = doc[2] + " · " + doc[3];
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(meta);
      list.appendChild(item);
    });
  }

  async function run() {
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var inputs = document.querySelectorAll('form[role="search"] input[name="q"]');
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    inputs.forEach(function (input) { input.value = query; });
    if (!query.trim() || !status || !list) return;
    status.textContent = "正在搜索…";
    try {
      var found = await search(query);
      if (found.tooShort) {
        status.textContent = "请输入至少 " + found.index.min_term + " 个字或字母。";
        return;
      }
      var docs = await describe(found);
      render(list, docs);
      var total = found.hits.length;
      status.textContent = total === 0 ? "没有找到包含“" + query + "”的文章。"
        : "找到 " + total + " 篇" + (total > docs.length ? "，显示最新的 " + docs.length + " 篇" : "") + "。";
      document.documentElement.setAttribute("data-search-done", String(total));
    } catch (error) {
      status.textContent = "搜索出错：" + error.message;
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
