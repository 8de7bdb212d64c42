/* Edition: "Cite this" controls for each page and each paragraph (rendered at build time; wired here),
 * and "Cite selection" for words selected in a paragraph (a deep link with a text directive and a
 * W3C TextQuoteSelector; see "Cite selection" below).
 *
 * Everything comes from the page itself: the article and edition metadata and the stable URL
 * from <script id="edition-cite"> (overrides/main.html), the paragraph number from
 * p.para[data-para], the manuscript page on which it begins from data-ms, and any page that
 * begins inside it from span.ms[id^="ms-"], and the page's address in its version from
 * <meta name="edition:version"> and <meta name="edition:versioned-url"> (overrides/main.html). No
 * network; copying uses navigator.clipboard and falls back to a selected textarea and
 * execCommand("copy"). It also gives Material's search dialog its accessible name, and shows the
 * text's tooltips (glossary definitions, notes, titles) on demand (see "Tooltips" below).
 */
(function () {
  "use strict";

  function metadata() {
    var el = document.getElementById("edition-cite");
    return el ? JSON.parse(el.textContent) : null;
  }

  function pageRange(para) {
    var first = para.getAttribute("data-ms");
    var inside = Array.prototype.map.call(para.querySelectorAll("span.ms[id^='ms-']"), function (ms) {
      return ms.id.slice(3);
    });
    var last = inside.length ? inside[inside.length - 1] : first;
    if (!first) first = inside[0] || "";
    return first === last ? first : first + "–" + last;
  }

  // Citation strings. `url` is the address being cited and the version comes from the metadata,
  // so a versioned edition URL (issue 15) slots in without changing these functions.

  function articleLine(m) {
    var a = m.article;
    return a.author + ", “" + a.title + "”, " + a.journal + " " + a.volume + "(" + a.issue + "), " +
      a.year + ", pp. " + a.first_page + "–" + a.last_page + ", doi:" + a.doi;
  }

  function editionTitle(m) {
    var e = m.edition;
    return e.title + ", ed. " + e.editors + ", version " + e.version + " (" + e.date + ")";
  }

  function editionLine(m) {
    return "in " + editionTitle(m);
  }

  // On the edition's own pages (kind "edition") the work cited is the edition: the article's
  // author's text, edited by the corporate editor; elsewhere it is the article, read in the edition.
  function citeText(m, where, url) {
    if (m.kind === "edition") {
      return m.article.author + ", " + editionTitle(m) + (where ? ", " + where : "") + ", " + url + ".";
    }
    return articleLine(m) + (where ? ", " + where : "") + "; " + editionLine(m) + ", " + url + ".";
  }

  // Where a page-level citation points: a chapter by its heading and ¶ range, an edition page by
  // its title, the front page (the whole article) by nothing.
  function pageWhere(m) {
    if (!m.page || m.page === m.article.title) return "";
    return "“" + m.page + "”" + (m.paragraphs ? ", " + m.paragraphs : "");
  }

  function latex(text) {
    return String(text).replace(/[\\{}&%$#_~^]/g, function (ch) {
      return {"\\": "\\textbackslash{}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}[ch] || "\\" + ch;
    });
  }

  // A title for BibTeX: escaped, and each proper noun of metadata.yaml braced ({China}), as
  // bib/references.bib does, so that styles which lowercase titles keep the capital.
  function bibTitle(m, title) {
    var out = latex(title);
    (m.proper_nouns || []).forEach(function (noun) {
      var escaped = noun.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp("\\b(" + escaped + ")\\b", "g"), "{$1}");
    });
    return out;
  }

  // `extra`: more fields, each as ",\n  name = {value}" (the selection's annotation).
  function bibtex(m, where, url, extra) {
    var a = m.article;
    extra = extra || "";
    var e = m.edition;
    if (m.kind === "edition") {
      return "@book{edney2015edition,\n" +
        "  author = {" + latex(a.author_family) + ", " + latex(a.author_given) + "},\n" +
        "  editor = {{" + latex(e.editors) + "}},\n" +
        "  title = {" + bibTitle(m, e.title) + "},\n" +
        "  version = {" + latex(e.version) + "},\n" +
        "  year = {" + e.date.slice(0, 4) + "},\n" +
        "  date = {" + e.date + "},\n" +
        "  url = {" + url + "},\n" +
        "  note = {" + latex((where ? where + ". " : "") + "Version " + e.version + ". Reading edition of " +
          articleLine(m)) + "}" + extra + "\n}\n";
    }
    var note = (where ? where + ". " : "") + "Read in: " + editionTitle(m);
    return "@article{edney2015,\n" +
      "  author = {" + latex(a.author_family) + ", " + latex(a.author_given) + "},\n" +
      "  title = {" + bibTitle(m, a.title) + "},\n" +
      "  journal = {" + latex(a.journal) + "},\n" +
      "  volume = {" + latex(a.volume) + "},\n" +
      "  number = {" + latex(a.issue.replace("–", "--")) + "},\n" +
      "  pages = {" + a.first_page + "--" + a.last_page + "},\n" +
      "  year = {" + a.year + "},\n" +
      "  doi = {" + a.doi + "},\n" +
      "  issn = {" + a.issn + "},\n" +
      "  url = {" + url + "},\n" +
      "  note = {" + latex(note) + "}" + extra + "\n}\n";
  }

  // `field`, if given, is a visible text field: without the clipboard API the text is shown and
  // selected there, so that the reader can copy it by hand if execCommand("copy") fails too.
  function copy(text, button, field) {
    function done(ok) {
      var label = button.querySelector(".cite-status");
      if (label) label.textContent = ok ? "Copied" : "Copy failed";
      button.setAttribute("data-copied", ok ? "true" : "false");
      window.setTimeout(function () {
        if (label) label.textContent = "";
      }, 2500);
    }
    function fallback() {
      if (field) {
        field.hidden = false;
        field.value = text;
        field.focus();
        field.select();
        var copied = false;
        try {
          copied = document.execCommand("copy");
        } catch (err) {
          copied = false;
        }
        done(copied);
        return;
      }
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (err) {
        ok = false;
      }
      document.body.removeChild(area);
      button.focus();
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  // The controls are in the HTML from the build (editorial/pages/_ptools.md for paragraphs,
  // overrides/main.html for the page), so nothing moves when this runs: it only answers clicks,
  // once, on the document (event delegation, also across Material's instant navigation).
  function where(m, button) {
    var para = button.closest("p.para[data-para]");
    if (!para) return { where: pageWhere(m), url: m.url };
    var ms = pageRange(para);
    return { where: "¶" + para.getAttribute("data-para") + (ms ? " [ms. " + ms + "]" : ""), url: m.url + "#" + para.id };
  }

  function menuOf(pnum) {
    var para = pnum.closest("p.para");
    return para ? para.querySelector(".ptools") : null;
  }

  function setOpen(pnum, open) {
    var menu = menuOf(pnum);
    if (!menu) return;
    menu.hidden = !open;
    pnum.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function closeAll(except) {
    Array.prototype.forEach.call(document.querySelectorAll('a.pnum[aria-expanded="true"]'), function (pnum) {
      if (pnum !== except) setOpen(pnum, false);
    });
  }

  function onClick(ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    var pnum = target && target.closest("a.pnum");
    if (pnum) {
      ev.preventDefault();
      closeAll(pnum);
      setOpen(pnum, pnum.getAttribute("aria-expanded") !== "true");
      return;
    }
    var tool = target && target.closest(".cite-selection button");
    if (tool) {
      ev.preventDefault();
      onSelectionTool(tool);
      return;
    }
    var button = target && target.closest("button.cite-button");
    var m = button && metadata();
    if (button && m) {
      ev.preventDefault();
      var w = where(m, button);
      copy(button.classList.contains("cite-bibtex") ? bibtex(m, w.where, w.url) : citeText(m, w.where, w.url), button);
      return;
    }
    if (!(target && target.closest(".ptools"))) closeAll(null);
  }

  function onKey(ev) {
    if (onSelectionKey(ev) || ev.key !== "Escape") return;
    hideTip();
    var open = document.querySelector('a.pnum[aria-expanded="true"]');
    if (open) {
      setOpen(open, false);
      open.focus();
    }
  }

  // --- Cite selection (issue 15) ------------------------------------------------------------
  //
  // Selecting words in one reading paragraph (or one block quotation) offers "Cite selection"
  // (a <template id="cite-selection"> of overrides/main.html, shown absolutely placed under the
  // words, so nothing moves; Alt+Shift+C reaches it from the keyboard, Escape closes it). It
  // gives four forms of one citation:
  //   - a link: the versioned page URL (<meta name="edition:versioned-url">) with the
  //     paragraph's anchor and a text directive, #pN:~:text=[prefix-,]start[,end][,-suffix]
  //     (WICG URL Fragment Text Directives). Chromium scrolls to and marks the words; if they are
  //     not found it falls back to the paragraph. Each part is percent-encoded, "-", "," and "&"
  //     included; prefix and suffix are the fewest whole words (up to 8) that make this place the
  //     page's first match; a quotation over 300 characters, or one across a note or a
  //     manuscript-page label, is given by its first and last words (start,end);
  //   - a citation line naming the version and that URL;
  //   - BibTeX with the W3C Web Annotation TextQuoteSelector in `annotation`, as JSON (read it
  //     with a JSON parser; every LaTeX-special character in it is a \uXXXX escape, so the field's
  //     braces always balance), and CSL-JSON with it in `custom.selector` (CSL-JSON 1.0.2).
  //
  // The text is the page's text as displayed, its ASCII white space collapsed to one space (as a
  // text directive is matched), and without the edition's apparatus (¶N, [ms. N], note calls,
  // sidenotes): `exact` is the author's words the reader selected, `prefix` and `suffix` (up to
  // 32 characters) the words around them, so prefix + exact + suffix is a run of the paragraph.

  var APPARATUS = "a.pnum, .ptools, .ms, sup, .sidenote, .cite-selection";
  var SKIP = "script, style, template, noscript, textarea";
  var WORD = /[\p{L}\p{N}\p{M}]/u;
  var MAX_EXACT = 300;
  var MAX_CONTEXT_WORDS = 8;
  var ENDS_WORDS = 4;

  function box(el) {
    var para = el && el.closest("p.para[data-para]");
    if (!para) return null;
    return (para.parentElement && para.parentElement.closest("blockquote")) || para;
  }

  // The page's visible text in one string, `buf`; each visible text node is a segment that knows
  // its place in it, whether it is apparatus, its paragraph (`block`) and reading box.
  function textModel() {
    var segs = [], byNode = new Map(), buf = "";
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        var el = node.parentElement;
        if (!el || el.closest(SKIP)) return NodeFilter.FILTER_REJECT;
        if (el.checkVisibility && !el.checkVisibility()) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT;
      }
    });
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var el = node.parentElement;
      var text = node.data.replace(/[ \t\n\r\f]+/g, " ");
      var lead = text.charAt(0) === " " && (buf === "" || buf.slice(-1) === " ");
      if (lead) text = text.slice(1);
      var seg = {node: node, start: buf.length, end: buf.length + text.length, lead: lead,
                 apparatus: !!el.closest(APPARATUS), block: el.closest("p, li, td, th, blockquote, h1, h2, h3, h4"),
                 box: box(el)};
      segs.push(seg);
      byNode.set(node, seg);
      buf += text;
    }
    return {segs: segs, byNode: byNode, buf: buf, folded: fold(buf)};
  }

  // What a text directive's matching ignores (case, accents, no-break spaces), one code unit for
  // one, so positions in `folded` are positions in `buf`.
  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      var f = ch === "\u00a0" ? " " : ch.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
      out += f.length === 1 ? f : ch;
    }
    return out;
  }

  // A DOM point as a position in the model's text.
  function position(model, node, offset) {
    var seg = model.byNode.get(node);
    if (seg) {
      var before = node.data.slice(0, offset).replace(/[ \t\n\r\f]+/g, " ");
      var n = before.length - (seg.lead && before.charAt(0) === " " ? 1 : 0);
      return Math.min(seg.start + Math.max(n, 0), seg.end);
    }
    var point = document.createRange();
    point.setStart(node, offset);
    var lo = 0, hi = model.segs.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (point.comparePoint(model.segs[mid].node, 0) < 0) lo = mid + 1; else hi = mid;
    }
    return lo < model.segs.length ? model.segs[lo].start : model.buf.length;
  }

  // The box's runs of the author's text: stretches with no apparatus and no paragraph break.
  function runs(model, target) {
    var out = [], run = null;
    model.segs.forEach(function (seg) {
      if (seg.box !== target || seg.apparatus) {
        run = null;
        return;
      }
      if (run && run.block === seg.block && run.end === seg.start) {
        run.end = seg.end;
        return;
      }
      run = {start: seg.start, end: seg.end, block: seg.block, first: seg};
      out.push(run);
    });
    return out;
  }

  function authorText(model, list, from, to) {
    return list.map(function (r) {
      return model.buf.slice(Math.max(from, r.start), Math.min(to, r.end));
    }).join("").replace(/ +/g, " ");
  }

  // Start of the n-th whole word before `at`, not before `limit` (null if there are fewer).
  function wordsBack(buf, at, limit, n) {
    var i = at;
    for (var k = 0; k < n; k++) {
      while (i > limit && buf.charAt(i - 1) === " ") i--;
      if (i === limit) return null;
      while (i > limit && buf.charAt(i - 1) !== " ") i--;
    }
    return i;
  }

  function wordsForward(buf, at, limit, n) {
    var i = at;
    for (var k = 0; k < n; k++) {
      while (i < limit && buf.charAt(i) === " ") i++;
      if (i === limit) return null;
      while (i < limit && buf.charAt(i) !== " ") i++;
    }
    return i;
  }

  function encodePart(text) {
    return encodeURIComponent(text.trim()).replace(/-/g, "%2D");
  }

  // The text directive for [s, e): run r0 holds s, r1 holds e. Context grows until the browser's
  // first match (case- and accent-blind, ignoring word boundaries: stricter than the browser) is
  // this place.
  function textDirective(model, r0, r1, s, e) {
    var buf = model.buf, f = model.folded;
    var ranged = r0 !== r1 || e - s > MAX_EXACT;
    var startEnd = e, endStart = s;
    if (ranged) {
      startEnd = wordsForward(buf, s, r0.end, ENDS_WORDS) || r0.end;
      endStart = wordsBack(buf, e, r1.start, ENDS_WORDS);
      if (endStart === null) endStart = r1.start;
      if (r0 === r1 && endStart <= startEnd) ranged = false;
    }
    if (!ranged) startEnd = e;
    var best = null;
    for (var n = 0; n <= MAX_CONTEXT_WORDS; n++) {
      var ps = n ? wordsBack(buf, s, r0.start, n) : s;
      var se = n ? wordsForward(buf, e, r1.end, n) : e;
      if (ps === null) ps = best ? best.ps : s;
      if (se === null) se = best ? best.se : e;
      best = {ps: ps, se: se};
      var startPattern = f.slice(ps, ranged ? startEnd : se);
      var first = f.indexOf(startPattern) === ps;
      if (first && ranged) first = f.indexOf(f.slice(endStart, se), ps + startPattern.length) === endStart;
      if (first) break;
    }
    var parts = [];
    if (best.ps < s) parts.push(encodePart(buf.slice(best.ps, s)) + "-");
    parts.push(encodePart(buf.slice(s, startEnd)));
    if (ranged) parts.push(encodePart(buf.slice(endStart, e)));
    if (best.se > e) parts.push("-" + encodePart(buf.slice(e, best.se)));
    return parts.join(",");
  }

  // The manuscript page at a point of a paragraph: its data-ms, or the last [ms. N] before it.
  function msAt(para, node) {
    var page = para.getAttribute("data-ms") || "";
    Array.prototype.forEach.call(para.querySelectorAll("span.ms[id^='ms-']"), function (ms) {
      if (ms.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) page = ms.id.slice(3);
    });
    return page;
  }

  function metaContent(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }

  // Everything the four forms need, from a range of the page; null if it is not a quotation from
  // one reading paragraph or block quotation.
  function quotation(range) {
    var startEl = range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement;
    var endEl = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement;
    var target = box(startEl);
    if (!target || target !== box(endEl)) return null;
    var model = textModel();
    var list = runs(model, target);
    var s = position(model, range.startContainer, range.startOffset);
    var e = position(model, range.endContainer, range.endOffset);
    var hit = list.filter(function (r) { return r.end > s && r.start < e; });
    if (!hit.length) return null;
    var r0 = hit[0], r1 = hit[hit.length - 1], buf = model.buf;
    s = Math.max(s, r0.start);
    e = Math.min(e, r1.end);
    while (s > r0.start && WORD.test(buf.charAt(s - 1)) && WORD.test(buf.charAt(s))) s--;
    while (e < r1.end && WORD.test(buf.charAt(e - 1)) && WORD.test(buf.charAt(e))) e++;
    while (s < e && buf.charAt(s) === " ") s++;
    while (e > s && buf.charAt(e - 1) === " ") e--;
    if (s >= e) return null;
    if (s >= r0.end) return null;
    var exact = authorText(model, list, s, e).trim();
    var before = authorText(model, list, 0, s);
    var after = authorText(model, list, e, Infinity);
    var prefix = before.slice(-32), suffix = after.slice(0, 32);
    if (prefix.length < before.length) prefix = prefix.replace(/^\S*/, "");
    if (suffix.length < after.length) suffix = suffix.replace(/\S*$/, "");
    var firstPara = r0.block.closest("p.para[data-para]");
    var lastPara = r1.block.closest("p.para[data-para]");
    var msFirst = msAt(firstPara, r0.first.node), msLast = msAt(lastPara, r1.first.node);
    var n0 = firstPara.getAttribute("data-para"), n1 = lastPara.getAttribute("data-para");
    var ms = msFirst === msLast ? msFirst : msFirst + "–" + msLast;
    return {
      exact: exact,
      prefix: prefix.replace(/^ +/, ""),
      suffix: suffix.replace(/ +$/, ""),
      where: "¶" + n0 + (n1 !== n0 ? "–" + n1 : "") + (ms ? " [ms. " + ms + "]" : ""),
      url: metaContent("edition:versioned-url") + "#" + firstPara.id + ":~:text=" + textDirective(model, r0, r1, s, e),
      version: metaContent("edition:version")
    };
  }

  function selectorOf(q) {
    return {type: "TextQuoteSelector", exact: q.exact, prefix: q.prefix, suffix: q.suffix};
  }

  // JSON whose LaTeX-special characters are \uXXXX escapes: a BibTeX field with balanced braces.
  function bibJSON(value) {
    var json = JSON.stringify(value);
    return "{" + json.slice(1, -1).replace(/[\\{}%&#$_^~]/g, function (ch) {
      if (ch === "\\") return ch;
      return "\\u" + ("000" + ch.charCodeAt(0).toString(16)).slice(-4);
    }) + "}";
  }

  function cslTitle(m, title) {
    var out = title;
    (m.proper_nouns || []).forEach(function (noun) {
      var escaped = noun.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out = out.replace(new RegExp("\\b(" + escaped + ")\\b", "g"), '<span class="nocase">$1</span>');
    });
    return out;
  }

  function dateParts(date) {
    return {"date-parts": [date.split("-").map(function (part) { return parseInt(part, 10); })]};
  }

  // One CSL-JSON item, as downloads/edition-citation.json (build_scripts/citeformats.py) has the
  // edition; the article as an article-journal item. The ¶ and page go in `note` (CSL items have
  // no locator), the W3C selector in `custom.selector`.
  function cslJSON(m, q) {
    var a = m.article, e = m.edition;
    var item = m.kind === "edition" ? {
      id: "edney2015edition", type: "book", title: cslTitle(m, e.title),
      author: [{family: a.author_family, given: a.author_given}], editor: [{literal: e.editors}],
      edition: "Version " + e.version, issued: dateParts(e.date), URL: q.url, language: "en",
      note: q.where + ". Version " + e.version + ". Reading edition of " + articleLine(m)
    } : {
      id: "edney2015", type: "article-journal", title: cslTitle(m, a.title),
      author: [{family: a.author_family, given: a.author_given}], "container-title": a.journal,
      volume: a.volume, issue: a.issue, page: a.first_page + "–" + a.last_page, issued: dateParts(a.date),
      DOI: a.doi, ISSN: a.issn, URL: q.url, language: "en",
      note: q.where + ". Read in: " + editionTitle(m)
    };
    item.custom = {selector: selectorOf(q)};
    return JSON.stringify([item], null, 1) + "\n";
  }

  function selectionForms(m, q) {
    return {
      link: q.url,
      cite: citeText(m, q.where, q.url),
      bibtex: bibtex(m, q.where, q.url, ",\n  annotation = {" + bibJSON(selectorOf(q)) + "}"),
      csl: cslJSON(m, q)
    };
  }

  var citing = {popover: null, range: null, quote: null, timer: 0};

  function popover() {
    if (citing.popover) return citing.popover;
    var template = document.getElementById("cite-selection");
    if (!template) return null;
    citing.popover = template.content.firstElementChild.cloneNode(true);
    citing.popover.addEventListener("mousedown", function (ev) {
      if (!(ev.target instanceof Element && ev.target.closest("textarea"))) ev.preventDefault();
    });
    return citing.popover;
  }

  function hideSelectionTools(restoreFocus) {
    var pop = citing.popover;
    if (!pop || pop.hidden) return;
    var had = pop.contains(document.activeElement);
    pop.hidden = true;
    pop.querySelector(".cite-selection-forms").hidden = true;
    pop.querySelector(".cite-selection-open").setAttribute("aria-expanded", "false");
    pop.querySelector("textarea").hidden = true;
    citing.quote = null;
    var para = pop.parentElement && pop.parentElement.closest("p.para");
    if (had && restoreFocus && para) para.querySelector("a.pnum").focus();
  }

  // Placed in the paragraph where the selection ends (position: absolute; the paragraph is
  // position: relative), under the selection's last line.
  function showSelectionTools(range) {
    var pop = popover();
    if (!pop) return;
    var node = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement;
    var para = node.closest("p.para[data-para]") || box(node).querySelector("p.para[data-para]");
    var rects = range.getClientRects();
    var last = rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
    if (pop.parentElement !== para) {
      hideSelectionTools(false);
      para.appendChild(pop);
    }
    citing.range = range.cloneRange();
    var frame = para.getBoundingClientRect();
    pop.hidden = false;
    var left = Math.max(0, Math.min(last.left - frame.left, para.clientWidth - pop.offsetWidth));
    pop.style.left = left + "px";
    pop.style.top = (last.bottom - frame.top + 4) + "px";
  }

  // Shown for a selection within one reading box, hidden for any other (or none); left alone while
  // the reader is in the tools themselves.
  function updateSelectionTools() {
    var pop = citing.popover;
    if (pop && pop.contains(document.activeElement)) return;
    var sel = window.getSelection();
    var range = sel && sel.rangeCount && !sel.isCollapsed ? sel.getRangeAt(0) : null;
    var start = range && (range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement);
    var end = range && (range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement);
    var target = start && box(start);
    if (target && target === box(end) && sel.toString().trim()) showSelectionTools(range);
    else hideSelectionTools(false);
  }

  function onSelectionChange() {
    window.clearTimeout(citing.timer);
    citing.timer = window.setTimeout(updateSelectionTools, 120);
  }

  function onSelectionTool(button) {
    var pop = citing.popover;
    var m = metadata();
    if (!m) return;
    if (button.classList.contains("cite-selection-open")) {
      citing.quote = quotation(citing.range);
      var forms = pop.querySelector(".cite-selection-forms");
      forms.hidden = !citing.quote;
      button.setAttribute("aria-expanded", citing.quote ? "true" : "false");
      if (citing.quote) forms.querySelector("button").focus();
      return;
    }
    var form = button.getAttribute("data-form");
    if (citing.quote && form) copy(selectionForms(m, citing.quote)[form], button, pop.querySelector("textarea"));
  }

  // Alt+Shift+C (by key position, so also where Alt+Shift+C types a letter): open the tools for
  // the current selection from the keyboard.
  function onSelectionKey(ev) {
    var pop = citing.popover;
    if (ev.key === "Escape" && pop && !pop.hidden) {
      hideSelectionTools(true);
      return true;
    }
    if (!(ev.altKey && ev.shiftKey && ev.code === "KeyC")) return false;
    updateSelectionTools();
    pop = citing.popover;
    if (pop && !pop.hidden) {
      ev.preventDefault();
      var open = pop.querySelector(".cite-selection-open");
      open.focus();
      onSelectionTool(open);
      return true;
    }
    return false;
  }

  // --- Tooltips -------------------------------------------------------------------------------
  //
  // Glossary terms show their definition, note calls their note, and any other titled element
  // in the text its title, in Material's tooltip (.md-tooltip2, the theme's look and placement),
  // on hover and on keyboard focus. Material's own content.tooltips and content.footnote.tooltips
  // build an observable component for every such element when the page loads (over 150 on a
  // chapter: most of the page's blocking time on a phone, issue 14); here one delegated listener
  // builds a tooltip only when a reader asks for one. The title attribute stays in the HTML (the
  // native tooltip without script) and is lifted off while ours shows, as Material does.

  var TIP_HOST = ".md-content [title], .md-content a.footnote-ref";
  var tip = {host: null, node: null, title: null, timer: 0, seq: 0};

  function tipBody(host) {
    if (host.classList.contains("footnote-ref")) {
      var note = document.getElementById(decodeURIComponent(host.hash.slice(1)));
      if (!note) return null;
      return {role: "dialog", nodes: Array.prototype.map.call(note.children, function (child) {
        return child.cloneNode(true);
      })};
    }
    var title = host.getAttribute("title");
    return title ? {role: "tooltip", nodes: [document.createTextNode(title)], title: title} : null;
  }

  function placeTip(host, node, role) {
    var box = host.getBoundingClientRect();
    node.style.setProperty("--md-tooltip-host-x", box.left + window.scrollX + "px");
    node.style.setProperty("--md-tooltip-host-y", box.top + window.scrollY + "px");
    var y;
    if (role === "tooltip") {
      y = 8 + box.height;
      node.style.setProperty("--md-tooltip-width", node.firstChild.offsetWidth + "px");
      node.style.setProperty("--md-tooltip-tail", "0px");
    } else {
      y = box.top >= window.innerHeight / 2 ? -16 - node.offsetHeight : 16 + box.height;
    }
    node.style.setProperty("--md-tooltip-x", box.width / 2 + "px");
    node.style.setProperty("--md-tooltip-y", y + "px");
    node.classList.toggle("md-tooltip2--top", y < 0);
    node.classList.toggle("md-tooltip2--bottom", y >= 0);
  }

  function showTip(host) {
    window.clearTimeout(tip.timer);
    if (tip.host === host) return;
    hideTip();
    var body = tipBody(host);
    if (!body) return;
    var node = document.createElement("div");
    var inner = document.createElement("div");
    node.className = "md-tooltip2";
    node.setAttribute("role", body.role);
    node.id = "edition-tip-" + tip.seq++;
    inner.className = "md-tooltip2__inner md-typeset";
    body.nodes.forEach(function (child) {
      inner.appendChild(child);
    });
    node.appendChild(inner);
    node.addEventListener("mouseenter", function () {
      window.clearTimeout(tip.timer);
    });
    node.addEventListener("mouseleave", scheduleHide);
    if (body.title) host.removeAttribute("title");
    host.setAttribute(body.role === "dialog" ? "aria-controls" : "aria-describedby", node.id);
    if (body.role === "dialog") host.setAttribute("aria-haspopup", "dialog");
    tip.host = host;
    tip.node = node;
    tip.title = body.title || null;
    document.body.appendChild(node);
    placeTip(host, node, body.role);
    window.requestAnimationFrame(function () {
      if (tip.node === node) node.classList.add("md-tooltip2--active");
    });
  }

  function hideTip() {
    window.clearTimeout(tip.timer);
    if (!tip.host) return;
    if (tip.title !== null) tip.host.setAttribute("title", tip.title);
    tip.host.removeAttribute("aria-describedby");
    tip.host.removeAttribute("aria-controls");
    tip.host.removeAttribute("aria-haspopup");
    tip.node.remove();
    tip.host = tip.node = tip.title = null;
  }

  function scheduleHide() {
    window.clearTimeout(tip.timer);
    tip.timer = window.setTimeout(hideTip, 250);
  }

  function tipHost(target) {
    return target instanceof Element ? target.closest(TIP_HOST) : null;
  }

  function onTipOver(ev) {
    var host = tipHost(ev.target);
    if (host) showTip(host);
  }

  function onTipOut(ev) {
    if (!tip.host || tipHost(ev.target) !== tip.host) return;
    var to = ev.relatedTarget;
    if (to instanceof Node && (tip.host.contains(to) || tip.node.contains(to))) return;
    scheduleHide();
  }

  // Material's search dialog has role="dialog" but no accessible name (axe: aria-dialog-name);
  // name it here rather than keep a copy of the theme's search partial.
  function nameSearchDialog() {
    var dialog = document.querySelector('.md-search[role="dialog"]');
    if (dialog && !dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
  }

  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  document.addEventListener("selectionchange", onSelectionChange);
  document.addEventListener("mouseover", onTipOver);
  document.addEventListener("mouseout", onTipOut);
  document.addEventListener("focusin", onTipOver);
  document.addEventListener("focusout", onTipOut);

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(nameSearchDialog);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", nameSearchDialog);
  } else {
    nameSearchDialog();
  }
})();
