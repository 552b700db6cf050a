"""The frame of every reporter page: the site's name leading home, the footer links the
site's editors set, landmarks and a skip link; index pages that list their pages; a
favicon from the site itself."""

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.test import Client
from wagtail.models import Page, Site

from anon_messaging.models import ReportingSettings
from anon_messaging.pages import SupportPage
from tests.admin_forms import form_data
from tests.test_security_headers import collect_reporter_pages

DEMO_LINKS = [
    ("Privacy notice", "/support/privacy/"),
    ("Support services", "/support/"),
    ("Emergency contacts", "/support/emergency-contacts/"),
]


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def frame(response):
    page = soup(response)
    # The frame is the app's layout (anon_messaging/layout.html), inside any base template.
    header, footer = page.select(".am-page > header"), page.select(".am-page > footer")
    assert len(header) == 1 and len(footer) == 1
    home = header[0].find("a")
    links = [(a.get_text(strip=True), a["href"]) for a in footer[0].select("nav a")]
    return {"home": (home.get_text(strip=True), home["href"]), "links": links, "page": page}


def test_every_reporter_page_has_the_frame(demo_site, settings):
    framed = 0
    for name, response in collect_reporter_pages(settings):
        if response.status_code in (301, 302):
            continue
        shown = frame(response)
        assert shown["home"] == ("Report and Support (demo)", "/"), name
        assert shown["links"] == DEMO_LINKS, name
        page = shown["page"]
        # Landmarks, in order, each once; the skip link leads to the main content.
        landmarks = page.select(".am-page > header, .am-page > main, .am-page > footer")
        assert [tag.name for tag in landmarks] == [
            "header",
            "main",
            "footer",
        ], name
        skip = page.select_one("a.am-skip-link")
        assert skip["href"] == "#main-content" and page.find(id="main-content").name == "main"
        framed += 1
    assert framed >= 20


def test_editors_set_the_footer_links_per_site(demo_site):
    editor = Client()
    assert editor.login(username="editor", password="changeme")  # noqa: S106
    url = f"/admin/settings/anon_messaging/reportingsettings/{Site.objects.get().pk}/"
    data = form_data(editor.get(url))
    # Three links in each of the demo's languages: English, Welsh and Arabic.
    assert data["footer_links-TOTAL_FORMS"] == "9"
    # Drop "Support services", add a link to another site's helpline.
    support = next(k for k, v in data.items() if v == "Support services").rsplit("-", 1)[0]
    data[f"{support}-DELETE"] = "on"
    data.update(
        {
            "footer_links-TOTAL_FORMS": "10",
            "footer_links-9-label": "Student helpline",
            "footer_links-9-url": "https://helpline.example.ac.uk/",
            "footer_links-9-page": "",
            "footer_links-9-ORDER": "10",
            "footer_links-9-id": "",
        }
    )
    assert editor.post(url, data).status_code == 302

    shown = frame(Client().get("/report/anonymous/"))
    assert shown["links"] == [
        ("Privacy notice", "/support/privacy/"),
        ("Emergency contacts", "/support/emergency-contacts/"),
        ("Student helpline", "https://helpline.example.ac.uk/"),
    ]
    helpline = shown["page"].find("a", href="https://helpline.example.ac.uk/")
    assert "noreferrer" in helpline["rel"]

    # A link must go somewhere: a page or an address, one of them.
    data = form_data(editor.get(url))
    added = data["footer_links-TOTAL_FORMS"]
    data.update(
        {
            "footer_links-TOTAL_FORMS": str(int(added) + 1),
            f"footer_links-{added}-label": "Nowhere",
            f"footer_links-{added}-url": "",
            f"footer_links-{added}-page": "",
            f"footer_links-{added}-ORDER": "11",
            f"footer_links-{added}-id": "",
        }
    )
    response = editor.post(url, data)
    assert response.status_code == 200
    assert "Choose a page or give an address" in response.content.decode()


def test_a_link_to_a_page_that_is_not_live_is_left_out(demo_site):
    Page.objects.get(url_path__endswith="/privacy/").unpublish()
    assert [label for label, _url in frame(Client().get("/"))["links"]] == [
        "Support services",
        "Emergency contacts",
    ]


def test_a_site_without_links_still_has_its_name_and_way_home(demo_site):
    ReportingSettings.objects.get().footer_links.all().delete()
    shown = frame(Client().get("/messaging/"))
    assert shown["links"] == []
    assert shown["home"] == ("Report and Support (demo)", "/")
    assert shown["page"].select_one("footer").get_text(strip=True) == "Report and Support (demo)"


def test_report_lists_its_report_forms_and_support_its_pages(demo_site):
    report = soup(Client().get("/report/"))
    listed = [(a.get_text(strip=True), a["href"]) for a in report.select(".am-page-list a")]
    assert listed == [
        ("Report anonymously", "/report/anonymous/"),
        ("Report with contact details", "/report/with-contact-details/"),
    ]
    summaries = [p.get_text(strip=True) for p in report.select(".am-page-list__summary")]
    assert summaries[0].startswith("We will not ask who you are.")

    support = soup(Client().get("/support/"))
    assert [a.get_text(strip=True) for a in support.select(".am-page-list a")] == [
        "How anonymous messaging works",
        "Privacy notice",
        "Emergency contacts",
        "Reports in figures",
    ]


def test_an_editor_can_switch_the_list_off(demo_site):
    page = SupportPage.objects.get(slug="support", locale__language_code="en-gb")
    page.show_child_pages = False
    page.save_revision().publish()
    assert not soup(Client().get("/support/")).select(".am-page-list")


@pytest.mark.parametrize(
    ("name", "kind"), [("favicon.ico", b"\x00\x00\x01\x00"), ("favicon.svg", b"<svg")]
)
def test_a_favicon_is_served_from_the_site_itself(demo_site, name, kind):
    icons = soup(Client().get("/")).select('link[rel="icon"]')
    hrefs = [icon["href"] for icon in icons]
    assert f"/static/anon_messaging/{name}" in hrefs
    path = finders.find(f"anon_messaging/{name}")
    with open(path, "rb") as icon:
        content = icon.read()
    assert content.startswith(kind)
    assert len(content) < 4096
    assert not re.search(rb"https?://(?!www\.w3\.org/2000/svg)", content)  # nothing fetched
