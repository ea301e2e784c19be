"""Driving a page by keyboard alone: Tab (or Shift+Tab) until the element wanted has the
focus, then type, Space, the arrow keys or Enter, as a person who uses no mouse would. A
control that the keyboard never reaches fails the test."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Locator, Page

MAX_TABS = 200

_BEHIND = """(el) => {
  const now = document.activeElement;
  if (!now || now === document.body || now === el) return false;
  return Boolean(now.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Presses Tab until ``target`` (or, where it names several, one of them) has the
    focus, Shift+Tab where it comes before the element that has it; fails if it never does."""
    handles = target.element_handles()
    assert handles, f"no such element: {target}"
    key = "Shift+Tab" if page.evaluate(_BEHIND, handles[0]) else "Tab"
    for _ in range(MAX_TABS):
        if page.evaluate("(els) => els.includes(document.activeElement)", handles):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {target}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Page, target: Locator) -> None:
    """A checkbox, chosen with Space; or a radio: Tab reaches only one radio of a group
    (the one chosen, else the first or last), so Tab to the group, then the arrow keys to
    the radio wanted, which chooses it."""
    if target.get_attribute("type") == "radio":
        _to_radio(page, target)
    else:
        tab_to(page, target)
    if not target.is_checked():
        page.keyboard.press("Space")
    assert target.is_checked()


def _to_radio(page: Page, target: Locator) -> None:
    name = target.get_attribute("name")
    group = page.locator(f'input[type="radio"][name="{name}"]')
    handle = target.element_handle()
    assert handle is not None, "no such radio"
    tab_to(page, group)
    for _ in range(group.count()):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {target}")


def select_option(page: Page, target: Locator, label: str) -> None:
    """A select's option, chosen by typing its label while the select has the focus (the
    browser's type-ahead, as a keyboard user chooses)."""
    tab_to(page, target)
    page.keyboard.type(label)
    chosen = target.evaluate("(el) => el.options[el.selectedIndex].text")
    assert chosen.strip() == label, f"typed {label!r}, chose {chosen!r}"


_DATE_ORDER = """() => new Intl.DateTimeFormat(navigator.language)
  .formatToParts(new Date(2001, 1, 3)).filter((p) => p.type !== "literal").map((p) => p.type)"""


def type_date(page: Page, target: Locator, day: date) -> None:
    """A date field, typed as its day, month and year in the order the browser's language
    shows them (the field moves on from each part by itself)."""
    tab_to(page, target)
    for _ in range(3):  # reached by Shift+Tab, the field's last part has the focus
        page.keyboard.press("ArrowLeft")
    parts = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": f"{day.year:04d}"}
    for part in page.evaluate(_DATE_ORDER):
        page.keyboard.type(parts[part])
    assert target.input_value() == day.isoformat(), target.input_value()


def press(page: Page, target: Locator) -> None:
    """A button or link, pressed with Enter."""
    tab_to(page, target)
    page.keyboard.press("Enter")
