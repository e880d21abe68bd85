// Added to a copy of a report by ReportLayoutTests: after the page loads, lists in <pre id="overflow">
// every element inside a cell card whose right edge lies beyond the card's and that no scroll
// container between them holds; records the cards counted, how far the page scrolls sideways, and its height.
addEventListener("load", () => {
  const root = document.documentElement;
  const scrolls = (element) => ["auto", "scroll", "hidden"].includes(getComputedStyle(element).overflowX);
  const found = [];
  const cards = document.querySelectorAll(".cell");
  for (const card of cards) {
    const edge = card.getBoundingClientRect().right;
    for (const element of card.querySelectorAll("*")) {
      const right = element.getBoundingClientRect().right;
      if (right <= edge + 0.5) continue;
      let held = false;
      for (let up = element.parentElement; up && up !== card; up = up.parentElement) if (scrolls(up)) { held = true; break; }
      if (held) continue;
      const name = element.tagName.toLowerCase() + (element.className && typeof element.className === "string" ? "." + element.className.replace(/ /g, ".") : "");
      found.push(`${card.id || card.className}: ${name} ends at ${Math.round(right)} px, the card at ${Math.round(edge)} px`);
    }
  }
  const report = document.createElement("pre");
  report.id = "overflow";
  report.textContent = found.join("\n");
  document.body.append(report);
  root.setAttribute("data-cards", cards.length);
  root.setAttribute("data-page-overflow", Math.max(0, root.scrollWidth - root.clientWidth));
  root.setAttribute("data-page-height", root.scrollHeight);
});
