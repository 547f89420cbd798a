"""Browser tests: Debian's Chromium, driven by Playwright, against the built sample site from file://.

Navigation by clicking links and the back button, search (a rep by name, with and without the
accent; a session by a word only its notes contain), the team heatmap's links, no request leaving
file://, no console error, the Content-Security-Policy, axe-core on every page type, a phone-width
layout and printing the rep page to an A4 PDF.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser_support import (
    REPO,
    Watch,
    axe_violations,
    build_sample_site,
    describe_violations,
    fold,
    launch_chromium,
    path_of,
    relative_of,
    require_chromium,
    sample_sessions,
    start_html_checker,
    stop_html_checker,
    unique_note_word,
    url_of,
)

REP = "ines-carvalho"  # the sample's rep with an accented name
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


# --- fixtures ---

@pytest.fixture(scope="session")
def site(tmp_path_factory, request) -> Path:
    built = build_sample_site(tmp_path_factory)
    if any(item.path.name == "test_html_valid.py" for item in request.session.items):
        # let Java check the HTML in the background while the browser works
        start_html_checker(built, tmp_path_factory)
        request.addfinalizer(stop_html_checker)
    return built


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def page_types(site: Path) -> dict[str, str]:
    """One page of each type, as paths relative to the site."""
    sessions = sample_sessions()
    observed = next(r for r in sessions if r.path.parent.name == REP and r.kind == "observed-call")
    disputed = next((r for r in sessions if r.status == "disputed"), None)
    types = {
        "home": "index.html",
        "team": sorted(site.glob("teams/*.html"))[0].relative_to(site).as_posix(),
        "rep": f"reps/{REP}/index.html",
        "session": observed.page,
        "competency": sorted(site.glob("competencies/*/*.html"))[0].relative_to(site).as_posix(),
        "framework": sorted(site.glob("frameworks/*.html"))[0].relative_to(site).as_posix(),
        "search": "search.html",
        "coach": sorted(site.glob("coaches/*.html"))[0].relative_to(site).as_posix(),
        "brief": f"reps/{REP}/brief.html",
    }
    if disputed is not None:
        types["session-disputed"] = disputed.page
    for name, relative in types.items():
        assert (site / relative).is_file(), f"{name} page {relative} was not built"
    return types


PAGE_TYPES = ["home", "team", "rep", "session", "competency", "framework", "search", "coach", "brief"]


@pytest.fixture
def watched(browser):
    """A page in a context that enforces the CSP, with every request and console error recorded."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    watch = Watch().attach(context)
    page = context.new_page()
    yield page, watch
    context.close()


@pytest.fixture
def axe_page(browser):
    """A page that may inject axe-core: the site's CSP forbids inline scripts, so bypass it here."""
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def person_name(person: str) -> str:
    text = (REPO / "records" / "people" / f"{person}.md").read_text(encoding="utf-8")
    return re.search(r"^name:\s*(.+)$", text, re.M).group(1).strip().strip("\"'")


def click_and_follow(page, locator) -> str:
    """Click a link (really click it) and wait until its target is the page shown; the target URL."""
    href = locator.get_attribute("href")
    assert href, f"link without href: {locator}"
    target = urljoin(page.url, href)
    locator.click()
    page.wait_for_url(target)
    page.wait_for_load_state("load")
    return target


def search(page, site: Path, text: str) -> None:
    page.goto(url_of(site, "search.html"))
    box = page.locator("#q")
    box.click()
    box.press_sequentially(text)


def result_links(page):
    return page.locator("#search-results li a")


# --- navigation ---

def test_navigate_home_team_rep_session_and_back(watched, site: Path):
    page, watch = watched
    page.goto(url_of(site, "index.html"))
    home = page.url

    team_link = page.locator("main table a[href^='teams/']").first
    team_name = team_link.inner_text().strip()
    team = click_and_follow(page, team_link)
    assert relative_of(site, team).startswith("teams/")
    expect(page.locator("h1")).to_have_text(team_name)

    rep_link = page.locator("table.heatmap tbody th[scope='row'] a").first
    rep_name = rep_link.inner_text().strip()
    rep = click_and_follow(page, rep_link)
    assert re.fullmatch(r"reps/[^/]+/index\.html", relative_of(site, rep))
    expect(page.locator("h1")).to_have_text(rep_name)

    session_link = page.locator("section[aria-labelledby='timeline'] tbody a").first
    kind = session_link.inner_text().strip()
    session = click_and_follow(page, session_link)
    assert path_of(session).parent == path_of(rep).parent, "the session is not one of this rep's"
    expect(page.locator("h1")).to_contain_text(kind)
    expect(page.locator("nav.crumbs")).to_contain_text(rep_name)

    pager = page.locator("nav.pager a[rel='prev'], nav.pager a[rel='next']").first
    other = click_and_follow(page, pager)
    assert other != session and path_of(other).parent == path_of(rep).parent

    for url, heading in ((session, kind), (rep, rep_name), (team, team_name)):
        page.go_back()
        expect(page).to_have_url(url)
        expect(page.locator("h1")).to_contain_text(heading)
    page.go_back()
    expect(page).to_have_url(home)
    page.go_forward()
    expect(page).to_have_url(team)
    expect(page.locator("h1")).to_have_text(team_name)

    # forward again through history, then the breadcrumb leads back up from the session
    for url in (rep, session):
        page.go_forward()
        expect(page).to_have_url(url)
    click_and_follow(page, page.locator("nav.crumbs a", has_text=rep_name))
    expect(page).to_have_url(rep)
    assert watch.external() == [] and watch.console_errors == [] and watch.page_errors == []


# --- search ---

@pytest.mark.parametrize("query", ["Inês", "ines", "INÊS carv"])
def test_search_finds_a_rep_by_name(watched, site: Path, query: str):
    page, watch = watched
    name = person_name(REP)
    search(page, site, query)
    item = page.locator("#search-results li").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(item).to_have_count(1)
    expect(item.locator(".kind")).to_have_text(re.compile(r"^rep$", re.I))
    link = item.locator("a")
    click_and_follow(page, link)
    expect(page).to_have_url(url_of(site, f"reps/{REP}/index.html"))
    expect(page.locator("h1")).to_have_text(name)
    assert watch.console_errors == [] and watch.page_errors == []


@pytest.mark.parametrize("folded", [False, True], ids=["as-written", "lowercase-unaccented"])
def test_search_finds_a_session_by_a_word_only_its_notes_contain(watched, site: Path, folded: bool):
    page, watch = watched
    word, record = unique_note_word()
    assert (site / record.page).is_file(), f"{record.page} was not built"
    search(page, site, fold(word) if folded else word)
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^1 result\b"))
    expect(result_links(page)).to_have_count(1)
    expect(page.locator("#search-results li .kind")).to_have_text(re.compile("session", re.I))
    click_and_follow(page, result_links(page).first)
    expect(page).to_have_url(url_of(site, record.page))
    notes = page.locator(".notes").inner_text()
    assert fold(word) in fold(notes), f"{word!r} is not in the notes of {record.page}"
    assert watch.console_errors == [] and watch.page_errors == []


def test_search_reads_the_query_from_the_url(watched, site: Path):
    page, _ = watched
    word, record = unique_note_word()
    page.goto(url_of(site, "search.html") + "?q=" + quote(word))
    expect(page.locator("#q")).to_have_value(word)
    expect(result_links(page)).to_have_count(1)
    click_and_follow(page, result_links(page).first)
    expect(page).to_have_url(url_of(site, record.page))


def test_search_with_no_match_says_so(watched, site: Path):
    page, _ = watched
    search(page, site, "zqxjzqxj")
    expect(page.locator("#search-status")).to_have_text("Nothing found.")
    expect(result_links(page)).to_have_count(0)


# --- the team heatmap ---

def test_every_heatmap_cell_links_to_its_reps_page(watched, site: Path):
    page, watch = watched
    teams = sorted(site.glob("teams/*.html"))
    assert teams, "no team page was built"
    for team in teams:
        page.goto(team.as_uri())
        columns = page.locator("table.heatmap thead th").count() - 1
        rows = page.locator("table.heatmap tbody tr")
        table = rows.evaluate_all("""rows => rows.map(row => ({
            rep: row.querySelector("th[scope='row'] a")?.getAttribute('href'),
            cells: [...row.querySelectorAll('td')].map(td => td.querySelector('a')?.getAttribute('href') ?? null)}))""")
        assert table and columns > 0, f"{team.name}: empty heatmap"
        for index, row in enumerate(table):
            assert len(row["cells"]) == columns, \
                f"{team.name} row {index}: {len(row['cells'])} cells for {columns} competencies"
            for href in row["cells"]:
                assert href, f"{team.name} row {index}: a heatmap cell without a link"
                target = urljoin(page.url, href)
                assert path_of(target).is_file(), f"{team.name}: heatmap link {href} leads to no file"
                assert re.fullmatch(r"reps/[^/]+/index\.html", relative_of(site, target)), \
                    f"{team.name}: heatmap link {href} is not a rep page"
                assert href == row["rep"], f"{team.name} row {index}: cell links to {href}, row is {row['rep']}"
        # really click one per team: the first cell, then one in the middle, then the last one
        last = len(table) - 1
        row_index, column = [(0, 0), (last // 2, columns // 2), (last, columns - 1)][teams.index(team) % 3]
        row = rows.nth(row_index)
        name = row.locator("th[scope='row'] a").inner_text().strip()
        click_and_follow(page, row.locator("td a").nth(column))
        expect(page.locator("h1")).to_have_text(name)
        page.go_back()
        expect(page).to_have_url(team.as_uri())
    assert watch.external() == [] and watch.failed == []


# --- nothing leaves file://, nothing breaks ---

@pytest.mark.parametrize("kind", PAGE_TYPES + ["search-results"])
def test_no_request_leaves_file_and_no_console_error(watched, site: Path, page_types, kind: str):
    page, watch = watched
    if kind == "search-results":
        search(page, site, "objection")
        expect(result_links(page).first).to_be_visible()
    else:
        page.goto(url_of(site, page_types[kind]))
        page.wait_for_load_state("load")
    assert watch.requests, "no request was recorded at all"
    assert watch.external() == [], f"requests that leave file:// on the {kind} page: {watch.external()}"
    assert watch.failed == [], f"requests that failed on the {kind} page: {watch.failed}"
    assert watch.console_errors == [], f"console errors on the {kind} page: {watch.console_errors}"
    assert watch.page_errors == [], f"uncaught exceptions on the {kind} page: {watch.page_errors}"
    broken = page.locator("img").evaluate_all(
        "images => images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))")
    assert broken == [], f"images that did not load on the {kind} page: {broken}"


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_content_security_policy_meta_comes_first(watched, site: Path, page_types, kind: str):
    page, _ = watched
    page.goto(url_of(site, page_types[kind]))
    meta = page.locator("head meta[http-equiv='Content-Security-Policy']")
    expect(meta).to_have_count(1)
    policy = meta.get_attribute("content")
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
                      "base-uri 'none'", "form-action 'none'"):
        assert directive in policy, f"{kind}: the CSP lacks {directive!r}: {policy}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy, policy
    # a meta CSP only governs what follows it: nothing loadable may come before it
    before = page.evaluate("""() => {
        const head = [...document.head.children];
        const at = head.findIndex(e => e.matches("meta[http-equiv='Content-Security-Policy']"));
        return head.slice(0, at).filter(e => !e.matches("meta[charset]")).map(e => e.outerHTML);
    }""")
    assert before == [], f"{kind}: elements before the CSP meta: {before}"


def test_the_csp_blocks_an_injected_inline_script(browser, site: Path):
    """What a record could inject would not run: the policy is enforced, not only present."""
    context = browser.new_context()
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        page.goto(url_of(site, f"reps/{REP}/index.html"))
        page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true';
            document.body.appendChild(script);
            const style = document.createElement('style');
            style.textContent = 'body { background: rgb(1, 2, 3) }';
            document.head.appendChild(style);
        }""")
        assert page.evaluate("window.__injected === undefined"), "an inline script ran despite the CSP"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(1, 2, 3)", \
            "an inline style applied despite the CSP"
        assert any("Content Security Policy" in m for m in messages), messages
    finally:
        context.close()


# --- accessibility ---

@pytest.mark.parametrize("kind", PAGE_TYPES + ["search-results", "session-disputed"])
def test_axe_finds_no_serious_or_critical_violation(axe_page, site: Path, page_types, kind: str):
    page = axe_page
    if kind == "search-results":
        search(page, site, "objection")
        expect(result_links(page).first).to_be_visible()
    else:
        if kind not in page_types:
            pytest.fail(f"the sample has no {kind} page")
        page.goto(url_of(site, page_types[kind]))
    violations = axe_violations(page)
    where = page_types.get(kind, "search.html?q=objection")
    assert violations == [], "axe-core:\n" + describe_violations(violations, where)


def test_axe_is_live_and_finds_a_planted_violation(axe_page, site: Path, page_types):
    """Guards the test above against passing because axe never ran."""
    page = axe_page
    page.goto(url_of(site, page_types["rep"]))
    page.evaluate("document.querySelectorAll('img').forEach(i => i.removeAttribute('alt'))")
    found = {v["id"] for v in axe_violations(page)}
    assert "image-alt" in found, found


# --- phone and print ---

PHONE = 390  # CSS pixels


def phone_overflow(page) -> tuple[int, list[str]]:
    """How wide the page is, and what sticks out of the screen outside a .table-wrap.

    Compared with the fixed phone width, not window.innerWidth: in mobile emulation Chromium widens
    the viewport to fit content that overflows, so innerWidth grows with the overflow it should show.
    """
    width = page.evaluate("document.documentElement.scrollWidth")
    # what sticks out and is not clipped by a scrolling .table-wrap: outside one, or positioned
    # against something outside it (position: absolute escapes an overflow box that is not positioned)
    culprits = page.evaluate("""(phone) => {
        const found = {};
        for (const e of document.querySelectorAll('body *')) {
            if (e.getBoundingClientRect().right <= phone + 1) continue;
            const wrap = e.closest('.table-wrap');
            const escapes = wrap && getComputedStyle(e).position === 'absolute'
                && !(e.offsetParent && wrap.contains(e.offsetParent));
            if (wrap && !escapes) continue;
            const key = e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                + (escapes ? ' (position: absolute, escapes its .table-wrap)' : '');
            found[key] = (found[key] || 0) + 1;
        }
        return Object.entries(found).map(([k, n]) => n + ' × ' + k);
    }""", PHONE)
    return width, culprits


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": PHONE, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_phone_width_has_no_horizontal_overflow(phone, site: Path, page_types, kind: str):
    page = phone
    page.goto(url_of(site, page_types[kind]))
    width, culprits = phone_overflow(page)
    assert width <= PHONE + 1, (f"{page_types[kind]} at {PHONE} px: the page is {width} px wide; "
                                f"sticking out, not clipped by a .table-wrap: {culprits}")
    # tables may be wider than the screen, but scroll inside their wrapper
    wraps = page.evaluate("""(phone) => [...document.querySelectorAll('.table-wrap')]
        .filter(w => w.getBoundingClientRect().right > phone + 1).length""", PHONE)
    assert wraps == 0, f"{page_types[kind]}: {wraps} .table-wrap stick out of the screen"


def test_phone_width_check_sees_a_planted_overflow(phone, site: Path, page_types):
    page = phone
    page.goto(url_of(site, page_types["rep"]))
    page.evaluate("""() => { const wide = document.createElement('div');
        wide.style.width = '900px'; wide.style.height = '1px'; document.querySelector('main').appendChild(wide); }""")
    width, _ = phone_overflow(page)
    assert width > PHONE + 1, width


def test_rep_page_prints_to_an_a4_pdf(browser, site: Path, page_types):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url_of(site, page_types["rep"]))
        page.emulate_media(media="print")
        hidden = page.evaluate("getComputedStyle(document.querySelector('header.site nav')).display")
        assert hidden == "none", "the site navigation is printed"
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000, f"{len(pdf)} bytes"
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        assert 1 <= pages <= 12, f"the rep page prints on {pages} A4 pages"
    finally:
        context.close()


@pytest.mark.parametrize("rep", ["ana-ruiz", "priya-nair", "chloe-dubois"])
def test_the_ride_along_brief_prints_on_one_a4_page(browser, site: Path, rep: str):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url_of(site, f"reps/{rep}/brief.html"))
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        assert pages == 1, f"{rep}'s brief prints on {pages} A4 pages"
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["rep", "team"])
def test_gap_colours_are_kept_when_printed(browser, site: Path, page_types, kind: str):
    """The gap colours carry meaning; Chromium drops backgrounds in print unless told to keep them."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url_of(site, page_types[kind]))
        page.emulate_media(media="print")
        dropped = page.evaluate("""() => {
            const found = {};
            for (const e of document.querySelectorAll('main *')) {
                if (![...e.classList].some(c => c.startsWith('gap-'))) continue;
                if (getComputedStyle(e).printColorAdjust === 'exact') continue;
                const key = e.tagName.toLowerCase() + '.' + [...e.classList].join('.');
                found[key] = (found[key] || 0) + 1;
            }
            return Object.entries(found).map(([k, n]) => n + ' × ' + k);
        }""")
        assert dropped == [], (f"{page_types[kind]}: gap colours not kept in print "
                               f"(print-color-adjust is not exact): {dropped}")
    finally:
        context.close()
