// Added to copies of pages by ReportSafetyTests after they load: marks the page's html element with
// data-bad-hrefN for every link (in the page, or in the control's iframe for vector N) whose scheme,
// as this browser parses it, is not http, https, mailto or file (where relative links lead from a file),
// submits every form, and counts the report's cell cards in data-cells.
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
    for (const form of doc.querySelectorAll("form")) form.submit();
  }
  root.setAttribute("data-cells", document.querySelectorAll("main > section.cells > section.cell").length);
});
