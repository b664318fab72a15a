"""Two checks for any page a browser test opens: axe-core's accessibility rules, and whether the
page is wider than the screen.

axe-core comes from the ``axe-playwright-python`` package (``requirements-dev.txt``), which ships
its ``axe.min.js``: nothing is downloaded. The script is run through Playwright's evaluation
(the DevTools protocol), which the portal's Content-Security-Policy does not govern, so the pages
are checked under the policy they are served with.

Rules: axe-core's default set, which is every WCAG 2.0, 2.1 and 2.2 rule of levels A and AA plus
its best practices (landmarks, one main heading, headings in order, a label for each region),
and none of the experimental or AAA ones. It is the set axe's own browser extension runs, so a
developer who opens a page with it sees what this test sees; the best practices are what a
screen-reader user navigating by landmark and heading leans on, and cost nothing to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Every rule axe-core runs by default (see the module's docstring); results of the other kinds
# (passes, incomplete, inapplicable) are not sent back, which keeps each run quick.
AXE_OPTIONS: dict[str, Any] = {"resultTypes": ["violations"]}
# How many offending elements a report names per rule, and how much of each one's markup.
NODES_SHOWN = 5
SNIPPET_CHARS = 200


@cache
def axe_script() -> str:
    """The text of axe-core's ``axe.min.js`` as the package ships it."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands: one dict per rule broken, with the
    elements (``nodes``) that break it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """A report a person can act on: per rule its id, impact, what it asks and where to read
    more, then each offending element's selector, markup and what to fix."""
    lines: list[str] = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'no impact given'}, "
            f"{len(nodes)} element{'s' if len(nodes) != 1 else ''}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in nodes[:NODES_SHOWN]:
            target = " >> ".join(
                " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
            )
            snippet = " ".join(node.get("html", "").split())
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[: SNIPPET_CHARS - 1] + "…"
            lines.append(f"    {target}")
            lines.append(f"      {snippet}")
            summary = " ".join(node.get("failureSummary", "").split())
            if summary:
                lines.append(f"      {summary}")
        if len(nodes) > NODES_SHOWN:
            lines.append(f"    … and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)


@dataclass(frozen=True)
class Overflow:
    """How much wider than the window the page is, and the elements that stick out furthest."""

    window: int
    page: int
    offenders: list[dict[str, Any]]

    @property
    def overflows(self) -> bool:
        return self.page > self.window or bool(self.offenders)

    def __str__(self) -> str:
        lines = [f"the page is {self.page}px wide in a {self.window}px window"]
        for offender in self.offenders:
            lines.append(
                f"    {offender['selector']}: right edge at {offender['right']}px, "
                f"{offender['width']}px wide"
            )
        return "\n".join(lines)


# The window's width without its scroll bar (``clientWidth``, at most ``innerWidth``), the page's
# (``scrollWidth``), and the elements whose right edge passes the window's without an ancestor
# that scrolls or clips them (a table in its own scrolling box is fine): the widest ones first,
# outermost only (an element inside an offender is not named again). Run once the fonts are in
# and after two frames, so that the layout has settled.
_MEASURE = """async (limit) => {
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const root = document.documentElement;
  const window_ = root.clientWidth;
  const clips = element => {
    for (let node = element.parentElement; node && node !== root && node !== document.body;
         node = node.parentElement) {
      const overflowX = getComputedStyle(node).overflowX;
      if (overflowX !== 'visible') return true;
    }
    return false;
  };
  const selector = element => {
    const parts = [];
    for (let node = element; node && node.nodeType === 1 && node !== root;
         node = node.parentElement) {
      let part = node.localName;
      if (node.id) { parts.unshift(part + '#' + node.id); break; }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += '.' + classes.join('.');
      const parent = node.parentElement;
      if (parent) {
        const same = [...parent.children].filter(child => child.localName === node.localName);
        if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(node) + 1) + ')';
      }
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const offenders = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right + window.scrollX <= window_ + 1) continue;
    if (getComputedStyle(element).visibility === 'hidden') continue;
    if (clips(element)) continue;
    if (offenders.some(outer => outer.element.contains(element))) continue;
    offenders.push({element, right: Math.round(box.right + window.scrollX),
                    width: Math.round(box.width)});
  }
  offenders.sort((a, b) => b.right - a.right);
  return {
    window: window_,
    page: root.scrollWidth,
    offenders: offenders.slice(0, limit).map(({element, right, width}) =>
      ({selector: selector(element), right, width})),
  };
}"""


def measure_overflow(page: Page, *, limit: int = 5) -> Overflow:
    """Whether the page, as laid out now, is wider than its window, and what sticks out."""
    measured: dict[str, Any] = page.evaluate(_MEASURE, limit)
    return Overflow(
        window=measured["window"], page=measured["page"], offenders=measured["offenders"]
    )
