"""Reporter pages in several languages, and the app's shipped translations.

English pages keep their addresses; a page translated with Wagtail's internationalisation
is served under its language's prefix (/cy/..., /ar/...), in its own language, with the
right lang and dir, a plain list of the languages it exists in, and the site's wording in
that language. A report made in any language reaches the same advisers and keeps what
the reporter saw; a code works on the messaging page in every language.
"""

import io
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail.models import Locale

from anon_messaging import languages, site_setup
from anon_messaging.models import Case, ReportingFooterLink, ReportingWording
from anon_messaging.pages import MessagingPage, ReportFormPage, StatisticsPage, SupportPage
from tests import factories
from tests.admin_support import case_url
from tests.reporter_journey import anonymous_answers, fresh_token, shown_code, submit
from tests.shared_data import shared

LOCALE_DIR = Path(__file__).resolve().parent.parent / "anon_messaging" / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|\{\{ *[a-z_.]+ *\}\}")

WELSH_QUESTIONS = {
    "What happened?": "Beth ddigwyddodd?",
    "What kind of behaviour was it?": "Pa fath o ymddygiad oedd e?",
    "When did it happen?": "Pryd ddigwyddodd e?",
    "Where did it happen?": "Ble ddigwyddodd e?",
    "Has this happened before?": "Ydy hyn wedi digwydd o'r blaen?",
}
ARABIC_QUESTIONS = {
    "What happened?": "ماذا حدث؟",
    "What kind of behaviour was it?": "ما نوع السلوك؟",
    "When did it happen?": "متى حدث ذلك؟",
    "Where did it happen?": "أين حدث ذلك؟",
    "Has this happened before?": "هل حدث هذا من قبل؟",
}


# --- The shipped catalogues -------------------------------------------------------------


def shipped_languages():
    return sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir())


def test_every_language_the_example_site_offers_has_a_shipped_catalogue():
    offered = {translation.to_locale(code) for code, _name in settings.LANGUAGES if code != "en-gb"}
    assert offered == {"cy", "fr", "de", "es", "pl", "uk", "zh_Hans", "ar"}
    assert offered <= set(shipped_languages())
    for language in shipped_languages():
        assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").is_file(), language


@pytest.mark.parametrize("language", shipped_languages())
def test_every_string_is_translated_with_its_placeholders_kept(language):
    catalogue = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    for entry in catalogue:
        if entry.msgid_plural:
            wanted = set(PLACEHOLDER.findall(entry.msgid_plural))
            forms = entry.msgstr_plural.values()
            # A form may leave out the number only where the language says it in words
            # ("un", "واحد"); every other placeholder stays.
            for form in forms:
                assert set(PLACEHOLDER.findall(form)) <= wanted, (entry.msgid, form)
            assert set().union(*(set(PLACEHOLDER.findall(f)) for f in forms)) == wanted
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(
                PLACEHOLDER.findall(entry.msgid)
            ), entry.msgid


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("cy", "Anfon adroddiad"),
        ("ar", "إرسال البلاغ"),
        ("fr", "Envoyer le signalement"),
        ("de", "Meldung senden"),
        ("es", "Enviar el informe"),
        ("pl", "Wyślij zgłoszenie"),
        ("uk", "Надіслати звернення"),
        ("zh-hans", "提交举报"),
    ],
)
def test_the_compiled_catalogues_are_what_django_reads(language, expected):
    with translation.override(language):
        assert translation.gettext("Send report") == expected


def test_plurals_follow_each_languages_rules():
    with translation.override("cy"):
        assert translation.ngettext("%(days)d working day", "%(days)d working days", 2) % {
            "days": 2
        } == ("2 ddiwrnod gwaith")
    with translation.override("ar"):
        words = [
            translation.ngettext("%(days)d working day", "%(days)d working days", n) % {"days": n}
            for n in (2, 3, 11)
        ]
        assert words == ["2 يوما عمل", "3 أيام عمل", "11 يوم عمل"]


# --- Pages in several languages ---------------------------------------------------------


def translate(page, language, **fields):
    """``page`` copied for translation into ``language`` and published, as an editor does
    with "Translate" in the admin (wagtail.contrib.simple_translation), with ``fields``."""
    locale = Locale.objects.get_or_create(language_code=language)[0]
    copy = page.specific.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save_revision().publish()
    return copy.specific


def translate_form(page, language, labels, **fields):
    copy = translate(page, language, **fields)
    for question in ReportFormPage.objects.get(pk=copy.pk).form_fields.all():
        question.label = labels[question.label]
        question.save()
    return copy


@shared
def multilingual_site():
    """The reporter pages in English, Welsh and Arabic (the report hub, the anonymous form,
    the messaging page and the support pages), built once for a run of tests that ask for
    them (tests/shared_data.py)."""
    site = factories.reporter_site()
    for language, titles, labels in (
        ("cy", ("Adrodd", "Adrodd yn ddienw", "Negeseua dienw"), WELSH_QUESTIONS),
        ("ar", ("الإبلاغ", "الإبلاغ دون الكشف عن الهوية", "المراسلة المجهولة"), ARABIC_QUESTIONS),
    ):
        translate(site.home, language)
        translate(site.report_hub, language, title=titles[0])
        messaging = translate(site.messaging, language, title=titles[2])
        translate_form(
            site.anonymous_form, language, labels, title=titles[1], messaging_page=messaging
        )
        translate(site.support, language)
        translate(site.faq, language)
    return site


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_english_pages_keep_their_addresses_and_the_others_have_a_prefix(multilingual_site, client):
    for url in ("/report/", "/report/anonymous/", "/messaging/", "/support/"):
        html = html_of(client, url)
        assert '<html lang="en-gb" dir="ltr">' in html
    assert "Adrodd yn ddienw" in html_of(client, "/cy/report/anonymous/")
    assert "الإبلاغ دون الكشف عن الهوية" in html_of(client, "/ar/report/anonymous/")
    assert client.get("/en-gb/report/").status_code == 404


def test_each_page_is_served_in_its_own_language_with_lang_and_dir(multilingual_site, client):
    welsh = html_of(client, "/cy/report/anonymous/")
    assert '<html lang="cy" dir="ltr">' in welsh
    assert '<div class="am-page" lang="cy" dir="ltr">' in welsh
    assert "Ydw, rhowch god i mi ar gyfer negeseua dienw" in welsh
    assert "Gadael y dudalen hon" in welsh
    arabic = html_of(client, "/ar/report/anonymous/")
    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<div class="am-page" lang="ar" dir="rtl">' in arabic
    assert "الخروج من هذه الصفحة" in arabic
    # Whatever the browser asks for, an English page is in English.
    english = client.get("/report/anonymous/", headers={"accept-language": "ar"})
    assert '<html lang="en-gb" dir="ltr">' in english.content.decode()


def test_every_page_lists_its_languages_as_plain_links_named_in_themselves(
    multilingual_site, client
):
    html = html_of(client, "/report/anonymous/")
    nav = re.search(r'<nav class="am-languages".*?</nav>', html, re.S).group(0)
    assert "<script" not in nav
    assert '<span class="am-languages__current" lang="en-gb" dir="ltr" aria-current="page">' in nav
    assert '<a href="/cy/report/anonymous/" lang="cy" hreflang="cy" dir="ltr">Cymraeg</a>' in nav
    assert '<a href="/ar/report/anonymous/" lang="ar" hreflang="ar" dir="rtl">العربيّة</a>' in nav
    # The contact form exists in English only: nothing to choose.
    assert 'class="am-languages"' not in html_of(client, "/report/with-contact-details/")


def test_the_language_list_leaves_out_a_translation_that_is_not_live(multilingual_site, client):
    MessagingPage.objects.get(locale__language_code="cy").unpublish()
    html = html_of(client, "/messaging/")
    assert "/ar/messaging/" in html and "/cy/messaging/" not in html


def test_a_report_in_any_language_reaches_the_same_advisers_with_what_the_reporter_saw(
    multilingual_site, client, intake_adviser
):
    english = submit(client, "/report/anonymous/", anonymous_answers("In English", opt_in=False))
    arabic = submit(client, "/ar/report/anonymous/", anonymous_answers("بالعربية", opt_in=False))
    assert english.status_code == arabic.status_code == 200
    in_english, in_arabic = Case.objects.order_by("pk")
    assert (in_english.language, in_arabic.language) == ("en-gb", "ar")
    assert in_arabic.assigned_team == in_english.assigned_team
    assert in_arabic.assigned_team is not None
    visible = set(Case.objects.visible_to(intake_adviser))
    assert {in_english, in_arabic} <= visible
    assert [answer["label"] for answer in in_arabic.answers] == list(ARABIC_QUESTIONS.values())
    assert in_arabic.answers[0]["value"] == "بالعربية"
    assert in_arabic.form_title == "الإبلاغ دون الكشف عن الهوية"


def test_an_adviser_sees_the_language_of_the_report(multilingual_site, client, intake_adviser):
    submit(client, "/cy/report/anonymous/", anonymous_answers("Yn Gymraeg", opt_in=False))
    case = Case.objects.get()
    client.force_login(intake_adviser)
    html = client.get(case_url(case)).content.decode()
    assert "Welsh" in html and '<span lang="cy">Cymraeg</span>' in html
    # A language whose name is the same in the adviser's language is named once.
    submit(client, "/report/anonymous/", anonymous_answers("In English", opt_in=False))
    english = Case.objects.latest("pk")
    html = client.get(case_url(english)).content.decode()
    assert html.count("British English") == 1


def test_a_code_from_a_welsh_form_logs_in_on_the_arabic_messaging_page(multilingual_site, client):
    landing = submit(client, "/cy/report/anonymous/", anonymous_answers("Yn Gymraeg"))
    code = shown_code(landing)
    assert code is not None
    html = landing.content.decode()
    # The code reads left to right inside the Welsh page; "Log in" leads to Welsh messaging.
    assert f'<span class="am-code__value" dir="ltr">{code}</span>' in html
    assert 'href="/cy/messaging/"' in html
    login_page = html_of(client, "/ar/messaging/")
    assert re.search(r'<input type="password" name="code"[^>]* dir="ltr"', login_page)
    response = client.post("/ar/messaging/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/ar/messaging/"
    conversation = html_of(client, "/ar/messaging/")
    assert '<html lang="ar" dir="rtl">' in conversation
    assert "Yn Gymraeg" in conversation and "Beth ddigwyddodd?" in conversation
    assert "تسجيل الخروج" in conversation
    # The Welsh questions say they are Welsh, so a screen reader does not read them aloud
    # with an Arabic voice.
    assert '<dt lang="cy" dir="auto">Beth ddigwyddodd?</dt>' in conversation


def test_the_reporting_settings_wording_has_a_version_per_language(multilingual_site, client):
    site_settings = multilingual_site.settings
    ReportingWording.objects.create(
        settings=site_settings,
        locale=Locale.objects.get(language_code="cy"),
        response_time_wording="{days} diwrnod gwaith, dydd Llun i ddydd Gwener",
        adviser_display_name="Eich cynghorydd",
    )
    faq = "/support/anonymous-messaging/"
    assert "within 3 working days" in html_of(client, faq)
    assert "3 diwrnod gwaith, dydd Llun i ddydd Gwener" in html_of(client, "/cy" + faq)
    # A language without its own wording gets the standard words in that language.
    assert "3 أيام عمل" in html_of(client, "/ar" + faq)
    with translation.override("cy"):
        assert site_settings.adviser_name == "Eich cynghorydd"
    with translation.override("ar"):
        assert site_settings.adviser_name == "مستشار القضية"
    with translation.override("en-gb"):
        assert site_settings.adviser_name == "Case adviser"


def test_a_wording_in_a_language_cannot_give_a_time_of_its_own(multilingual_site):
    wording = ReportingWording(
        settings=multilingual_site.settings,
        locale=Locale.objects.get(language_code="cy"),
        response_time_wording="{days} diwrnod gwaith (un wythnos)",
    )
    with pytest.raises(Exception, match="wythnos"):
        wording.full_clean()


def test_a_language_may_have_footer_links_of_its_own(multilingual_site, client):
    site_settings = multilingual_site.settings
    support = multilingual_site.support
    ReportingFooterLink.objects.create(settings=site_settings, label="Support", page=support)
    ReportingFooterLink.objects.create(
        settings=site_settings,
        label="Cymorth",
        page=support,
        locale=Locale.objects.get(language_code="cy"),
    )

    def footer(url):
        html = html_of(client, url)
        return re.search(r"<ul class=\"am-footer__links\">(.*?)</ul>", html, re.S).group(1).strip()

    assert footer("/report/") == '<li><a href="/support/">Support</a></li>'
    # Welsh has a link of its own, to the Welsh support page; Arabic has none, so it
    # gets the link without a language, to its own support page.
    assert footer("/cy/report/") == '<li><a href="/cy/support/">Cymorth</a></li>'
    assert footer("/ar/report/") == '<li><a href="/ar/support/">Support</a></li>'


def shown_frame(client, url):
    """The site's name as the header and the footer show it, and the footer's links."""
    html = html_of(client, url)
    header_name = re.search(r'<a class="am-header__home" href="[^"]*">(.*?)</a>', html).group(1)
    footer_name = re.search(r'<p class="am-footer__site">(.*?)</p>', html).group(1)
    links = re.findall(r'<ul class="am-footer__links">.*?</ul>', html, re.S)
    pairs = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', links[0]) if links else []
    return header_name, footer_name, [(label, url) for url, label in pairs]


def test_each_language_names_the_site_and_its_footer_links_in_its_own_words(
    multilingual_site, client
):
    """A new user's Welsh and Arabic pages named the site, and labelled its links, in
    English."""
    site = multilingual_site.site
    site.site_name = "Report and Support"
    site.save()
    site_settings = multilingual_site.settings
    welsh, arabic = (Locale.objects.get(language_code=code) for code in ("cy", "ar"))
    ReportingWording.objects.create(
        settings=site_settings, locale=welsh, site_name="Adrodd a Chymorth"
    )
    ReportingWording.objects.create(
        settings=site_settings, locale=arabic, site_name="الإبلاغ والدعم"
    )
    support = multilingual_site.support
    for label, locale in (
        ("Support services", None),
        ("Gwasanaethau cymorth", welsh),
        ("خدمات الدعم", arabic),
    ):
        ReportingFooterLink.objects.create(
            settings=site_settings, label=label, page=support, locale=locale
        )

    english = ("Report and Support", "Report and Support", [("Support services", "/support/")])
    assert shown_frame(client, "/report/anonymous/") == english
    assert shown_frame(client, "/messaging/") == english
    assert shown_frame(client, "/cy/report/anonymous/") == (
        "Adrodd a Chymorth",
        "Adrodd a Chymorth",
        [("Gwasanaethau cymorth", "/cy/support/")],
    )
    assert shown_frame(client, "/ar/messaging/") == (
        "الإبلاغ والدعم",
        "الإبلاغ والدعم",
        [("خدمات الدعم", "/ar/support/")],
    )
    # The page saying there is no such page names the site in its language too.
    missing = client.get("/cy/no-such-page/")
    assert missing.status_code == 404
    assert '<a class="am-header__home" href="/">Adrodd a Chymorth</a>' in missing.content.decode()


def test_a_language_without_a_name_of_its_own_shows_the_sites(multilingual_site, client):
    site = multilingual_site.site
    site.site_name = "Report and Support"
    site.save()
    # Arabic words the advisers' name only; Welsh has no wording at all.
    ReportingWording.objects.create(
        settings=multilingual_site.settings,
        locale=Locale.objects.get(language_code="ar"),
        site_name="  ",
        adviser_display_name="مستشارك",
    )
    for url in ("/ar/report/", "/cy/report/", "/report/"):
        name, footer_name, _links = shown_frame(client, url)
        assert name == footer_name == "Report and Support", url


# --- An address in a language the page is not in ------------------------------------------


@pytest.fixture
def site_with_figures(multilingual_site):
    factories.add_page(multilingual_site.support, StatisticsPage(title="Figures", slug="figures"))
    return multilingual_site


@pytest.mark.parametrize(
    ("asked", "own"),
    [
        ("/fr/report/anonymous/", "/report/anonymous/"),
        ("/de/report/with-contact-details/", "/report/with-contact-details/"),
        ("/fr/messaging/", "/messaging/"),
        ("/de/messaging/?earlier=1", "/messaging/?earlier=1"),
        ("/fr/messaging/logout/", "/messaging/logout/"),
        ("/fr/support/", "/support/"),
        ("/es/support/anonymous-messaging/", "/support/anonymous-messaging/"),
        ("/fr/support/figures/", "/support/figures/"),
        ("/fr/", "/"),
    ],
)
def test_a_page_asked_for_in_a_language_it_is_not_in_is_sent_to_its_own_address(
    site_with_figures, client, asked, own
):
    """French and German are languages of the site, with no pages of their own: /fr/...
    served the English page among French words."""
    response = client.get(asked)
    assert response.status_code == 302
    assert response["Location"] == own
    assert "no-store" in response["Cache-Control"]
    head = client.head(asked)
    assert (head.status_code, head["Location"]) == (302, own)


def test_the_page_reached_from_another_languages_address_is_wholly_in_its_own(
    multilingual_site, client
):
    response = client.get("/fr/report/anonymous/", follow=True)
    assert response.redirect_chain == [("/report/anonymous/", 302)]
    html = response.content.decode()
    assert '<html lang="en-gb" dir="ltr">' in html
    assert '<div class="am-page" lang="en-gb" dir="ltr">' in html
    assert "Send report" in html and "Exit this page" in html
    with translation.override("fr"):
        french = [translation.gettext(text) for text in ("Send report", "Exit this page")]
    assert not any(words in html for words in french)


def test_a_page_in_its_own_language_is_not_redirected(multilingual_site, client):
    for url in ("/report/anonymous/", "/cy/report/anonymous/", "/ar/messaging/"):
        assert client.get(url).status_code == 200, url
    # Whatever the browser prefers, the address decides.
    response = client.get("/report/anonymous/", headers={"accept-language": "fr"})
    assert response.status_code == 200


def test_a_report_sent_to_another_languages_address_is_stored(multilingual_site, client):
    """Nothing a person sends is redirected away: the report is taken where it was sent."""
    token = fresh_token(client, "/report/anonymous/")
    response = client.post(
        "/fr/report/anonymous/",
        {
            **anonymous_answers("Sent to the French address", opt_in=False),
            "submission_token": token,
        },
    )
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.answers[0]["value"] == "Sent to the French address"
    assert case.language == "en-gb"  # the language of the form it was made on
    assert '<html lang="en-gb" dir="ltr">' in response.content.decode()
    # A log-in sent there is processed there too (a wrong code: its error, not a redirect).
    login = client.post("/de/messaging/", {"code": "ABCD-EFGH-JKLM-NPQR"})
    assert login.status_code == 200
    assert "That code did not match a report." in login.content.decode()


# --- Setting up the pages in another language --------------------------------------------


def test_the_setup_command_makes_the_pages_in_another_language_as_translations(db, client):
    home = factories.home_page()
    call_command("anon_messaging_setup", stdout=_Discard())
    call_command("anon_messaging_setup", "--language", "ar", stdout=_Discard())
    arabic_form = ReportFormPage.objects.get(slug="anonymous", locale__language_code="ar")
    english_form = ReportFormPage.objects.get(slug="anonymous", locale=home.locale)
    assert arabic_form.translation_key == english_form.translation_key
    assert arabic_form.title == "الإبلاغ دون الكشف عن الهوية"
    assert [q.label for q in arabic_form.form_fields.all()][0] == "ماذا حدث؟"
    assert arabic_form.messaging_page.specific.locale.language_code == "ar"
    assert SupportPage.objects.filter(locale__language_code="ar").count() == 3
    # Run again, nothing more is made.
    steps = site_setup.set_up_site_in_language(home, "ar")
    assert not any(step.created for step in steps)
    html = html_of(client, "/ar/report/")
    assert "أخبرنا بما حدث" in html and 'href="/ar/report/anonymous/"' in html


def test_the_setup_command_gives_a_language_the_footer_links_it_can_translate(db, client):
    home = factories.home_page()
    call_command("anon_messaging_setup", stdout=_Discard())
    site_settings = factories.reporting_settings()
    support = SupportPage.objects.get(slug="support")
    # "Support" is one of the app's own words; the editor's own label is not.
    ReportingFooterLink.objects.create(settings=site_settings, label="Support", page=support)
    call_command("anon_messaging_setup", "--language", "cy", stdout=_Discard())
    welsh = ReportingFooterLink.objects.get(locale__language_code="cy")
    assert (welsh.label, welsh.page.url) == ("Cymorth", "/cy/support/")
    assert 'href="/cy/support/">Cymorth</a>' in html_of(client, "/cy/report/")
    assert 'href="/support/">Support</a>' in html_of(client, "/report/")

    ReportingFooterLink.objects.create(
        settings=site_settings, label="Student helpline", url="https://help.example.ac.uk/"
    )
    steps = site_setup.set_up_site_in_language(home, "ar")
    # A label it cannot translate: Arabic shows the site's links, to its own pages.
    assert not ReportingFooterLink.objects.filter(locale__language_code="ar").exists()
    assert "“Student helpline”" in steps[-1].note and not steps[-1].created
    footer = html_of(client, "/ar/report/")
    assert 'href="/ar/support/">Support</a>' in footer and "Student helpline" in footer


def test_the_setup_command_refuses_a_language_the_site_does_not_have(db):
    factories.home_page()
    with pytest.raises(CommandError, match="“xx” is not one of the site's languages"):
        call_command("anon_messaging_setup", "--language", "xx", stdout=_Discard())
    assert not Locale.objects.filter(language_code="xx").exists()


def test_a_language_is_named_in_itself():
    names = [languages.local_name(code) for code, _name in settings.LANGUAGES]
    assert names == [
        "English",
        "Cymraeg",
        "Français",
        "Deutsch",
        "Español",
        "Polski",
        "Українська",
        "简体中文",
        "العربيّة",
    ]
    assert [languages.direction(code) for code in ("cy", "ar", "zh-hans")] == ["ltr", "rtl", "ltr"]


class _Discard:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def test_a_report_on_the_welsh_form_arrives_categorised_like_an_english_one(db):
    """A new user's Welsh and Arabic reports arrived with no category."""
    from anon_messaging.models import CaseCategory

    call_command("seed_demo", stdout=io.StringIO())
    with translation.override("cy"):
        welsh = str(site_setup.DEFAULT_CATEGORIES[0])
    with translation.override("ar"):
        arabic = str(site_setup.DEFAULT_CATEGORIES[0])
    english = CaseCategory.objects.get(name=str(site_setup.DEFAULT_CATEGORIES[0]))
    assert welsh != english.name
    assert CaseCategory.for_options([welsh]) == [english]
    assert CaseCategory.for_options([arabic]) == [english]
