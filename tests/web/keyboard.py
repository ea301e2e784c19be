"""Driving a page by keyboard alone: Tab (or Shift+Tab) until the element wanted has the
focus, then type, Space or Enter, as a person who uses no mouse would. A control that Tab
never reaches fails the test."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

MAX_TABS = 200


def tab_to(page: Page, target: Locator) -> None:
    """Presses Tab until ``target`` has the focus (and fails if it never does)."""
    handle = target.element_handle()
    assert handle is not None, "no such element"
    for _ in range(MAX_TABS):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Page, target: Locator) -> None:
    """A radio or checkbox, chosen with Space."""
    tab_to(page, target)
    if not target.is_checked():
        page.keyboard.press("Space")
    assert target.is_checked()


def select_option(page: Page, target: Locator, label: str) -> None:
    """A select's option, chosen by typing its label while the select has the focus (the
    browser's type-ahead, as a keyboard user chooses)."""
    tab_to(page, target)
    page.keyboard.type(label)
    chosen = target.evaluate("(el) => el.options[el.selectedIndex].text")
    assert chosen.strip() == label, f"typed {label!r}, chose {chosen!r}"


def press(page: Page, target: Locator) -> None:
    """A button or link, pressed with Enter."""
    tab_to(page, target)
    page.keyboard.press("Enter")
