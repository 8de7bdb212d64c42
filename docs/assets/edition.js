/* Edition: "Cite this" controls for each page and each paragraph (rendered at build time; wired here).
 *
 * Everything comes from the page itself: the article and edition metadata and the stable URL
 * from <script id="edition-cite"> (overrides/main.html), the paragraph number from
 * p.para[data-para], the manuscript page on which it begins from data-ms, and any page that
 * begins inside it from span.ms[id^="ms-"]. No network; copying uses navigator.clipboard and
 * falls back to a selected textarea and execCommand("copy"). It also gives Material's search
 * dialog its accessible name.
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

  function bibtex(m, where, url) {
    var a = m.article;
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
          articleLine(m)) + "}\n}\n";
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
      "  note = {" + latex(note) + "}\n}\n";
  }

  function copy(text, button) {
    function done(ok) {
      var label = button.querySelector(".cite-status");
      if (label) label.textContent = ok ? "Copied" : "Copy failed";
      button.setAttribute("data-copied", ok ? "true" : "false");
      window.setTimeout(function () {
        if (label) label.textContent = "";
      }, 2500);
    }
    function fallback() {
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
    if (ev.key !== "Escape") return;
    var open = document.querySelector('a.pnum[aria-expanded="true"]');
    if (open) {
      setOpen(open, false);
      open.focus();
    }
  }

  // Material's search dialog has role="dialog" but no accessible name (axe: aria-dialog-name);
  // name it here rather than keep a copy of the theme's search partial.
  function nameSearchDialog() {
    var dialog = document.querySelector('.md-search[role="dialog"]');
    if (dialog && !dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
  }

  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(nameSearchDialog);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", nameSearchDialog);
  } else {
    nameSearchDialog();
  }
})();
