// Added to copies of pages by ReportSafetyTests after they load: marks the page's html element with
// data-bad-hrefN for every link (in the page, or in the control's iframe for vector N) whose scheme,
// as this browser parses it, is not http, https, mailto or file (where relative links lead from a file),
// submits every form in the control's iframes, counts the report's cell cards in data-cells, and marks data-bad-element and
// data-bad-attribute for an element in the cells outside the sanitizer's allowlist, or an attribute
// that could run script or fetch.
addEventListener("load", () => {
  const root = document.documentElement;
  const safe = ["http:", "https:", "mailto:", "file:"];
  const documents = [[document, ""]];
  for (const frame of document.querySelectorAll("iframe[data-vector]")) documents.push([frame.contentDocument, frame.dataset.vector]);
  for (const [doc, vector] of documents) {
    if (!doc) continue;
    for (const link of doc.querySelectorAll("a, area")) {
      const href = link.getAttribute("href") ?? link.getAttributeNS("http://www.w3.org/1999/xlink", "href");
      if (href === null) continue;
      let scheme;
      try { scheme = new URL(href, doc.baseURI).protocol; } catch { scheme = "unparsable"; }
      if (!safe.includes(scheme)) root.setAttribute("data-bad-href" + vector, scheme);
    }
    if (vector) for (const form of doc.querySelectorAll("form")) form.submit();  // a form in a report is a bad element already
  }
  root.setAttribute("data-cells", document.querySelectorAll("main > section.cells > section.cell").length);
  const allowed = new Set(`a abbr article aside b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt em
    figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li mark ol p pre q rp rt ruby s samp section small span
    strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr`.split(/\s+/));
  for (const element of document.querySelectorAll("main > section.cells *")) {
    if (!allowed.has(element.localName) || element.namespaceURI !== "http://www.w3.org/1999/xhtml") root.setAttribute("data-bad-element", element.localName);
    for (const attribute of element.attributes) {
      if (/^(on.*|style|srcset|background|action|formaction|poster|ping|xlink:href)$/.test(attribute.name)) root.setAttribute("data-bad-attribute", attribute.name);
    }
  }
});
