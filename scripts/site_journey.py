"""Drive a running site set up by docs/install.md over HTTP, as a reporter and an adviser.

    python scripts/site_journey.py http://127.0.0.1:8123 ADMIN_USERNAME ADMIN_PASSWORD

A reporter sends an anonymous report asking for a code, logs in with the code the
thank-you page shows, and sends a message; an adviser logs in to the Wagtail admin and
finds the case in the case list. Every page is checked for the app's frame inside the
project's own base template. Standard library only, so it runs beside any site.
Exits 1 with what went wrong.
"""

import html
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

CODE = re.compile(r'class="am-code__value"[^>]*>([0-9A-Z-]+)<')
REFERENCE = re.compile(r"\bR-[0-9A-Z]{6}\b")


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(self, path, data=None):
        url = self.base_url + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - localhost
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def get(self, path, expect=200):
        status, headers, text = self.request(path)
        check(status == expect, f"GET {path} answered {status}, not {expect}")
        return text

    def post(self, path, data, expect=302):
        status, headers, text = self.request(path, data)
        check(status == expect, f"POST {path} answered {status}, not {expect}: {text[:500]}")
        return headers.get("Location"), text


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check(condition, problem):
    if not condition:
        raise SystemExit(f"site journey: {problem}")


def hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    check(match is not None, f"no hidden field {name!r} on the page")
    return html.unescape(match.group(1))


def framed(page, where):
    """The app's frame inside the project's own base.html (wagtail start's mysite.css)."""
    check(page.count("<main") == 1, f"{where}: want exactly one <main>")
    check('class="am-page"' in page, f"{where}: no .am-page wrapper")
    check('href="#main-content"' in page, f"{where}: no skip link")
    check("/static/anon_messaging/anon_messaging.css" in page, f"{where}: no app stylesheet")
    check("/static/css/mysite.css" in page, f"{where}: not inside the project's base.html")


def reporter(browser):
    form = browser.get("/report/anonymous/")
    framed(form, "report form")
    location, landing = browser.post(
        "/report/anonymous/",
        {
            "csrfmiddlewaretoken": hidden(form, "csrfmiddlewaretoken"),
            "submission_token": hidden(form, "submission_token"),
            "what_happened": "Installed from the wheel: a first report.",
            "what_kind_of_behaviour_was_it": ["Bullying"],
            "messaging_opt_in": "yes",
        },
        expect=200,
    )
    framed(landing, "thank-you page")
    match = CODE.search(landing)
    check(match is not None, "the thank-you page shows no code")
    code = match.group(1)
    length = len(code.replace("-", ""))
    print(f"report sent; the thank-you page showed a code of {length} characters")

    login_page = browser.get("/messaging/")
    framed(login_page, "messaging log-in")
    location, _ = browser.post(
        "/messaging/",
        {"csrfmiddlewaretoken": hidden(login_page, "csrfmiddlewaretoken"), "code": code},
    )
    conversation = browser.get("/messaging/")
    check("Installed from the wheel: a first report." in conversation, "no report after log-in")
    print("logged in with the code: the conversation shows the report")

    location, _ = browser.post(
        "/messaging/send/",
        {
            "csrfmiddlewaretoken": hidden(conversation, "csrfmiddlewaretoken"),
            "body": "A first message, sent from the wheel's site.",
        },
    )
    conversation = browser.get("/messaging/")
    check("A first message, sent from the wheel&#x27;s site." in conversation or
          "A first message, sent from the wheel's site." in conversation, "message not shown")
    print("message sent: the conversation shows it")


def adviser(browser, username, password):
    login_page = browser.get("/admin/login/")
    location, _ = browser.post(
        "/admin/login/",
        {
            "csrfmiddlewaretoken": hidden(login_page, "csrfmiddlewaretoken"),
            "username": username,
            "password": password,
        },
    )
    check(location is not None and "/login/" not in location, "the admin log-in failed")
    case_list = browser.get("/admin/anon_messaging/case/")
    references = set(REFERENCE.findall(case_list))
    check(len(references) == 1, f"want one case in the case list, found {sorted(references)}")
    print(f"adviser logged in: the case list shows case {references.pop()}")


def main(base_url, username, password):
    for path in ("/report/", "/report/with-contact-details/", "/support/anonymous-messaging/"):
        framed(Browser(base_url).get(path), path)
    status, _headers, _text = Browser(base_url).request("/static/anon_messaging/anon_messaging.css")
    check(status == 200, f"the app's stylesheet answered {status}")
    reporter(Browser(base_url))
    adviser(Browser(base_url), username, password)
    print("site journey: passed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
